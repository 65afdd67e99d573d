// sensor-node dashboard (docs/dashboard.md): the node list, the selected node's
// link, faults, outbox and latest values, trends with ISO zones and alarm levels
// behind them, the captured spectrum with running-speed and bearing markers, a
// waterfall of the last captures and the alarm log, over one WebSocket (/ws).
import { LineChart, Waterfall, clock } from "./chart.js";

const $ = (id) => document.getElementById(id);
const AXES = ["x", "y", "z"];
const AXIS_COLOURS = { x: "#d33", y: "#2a2", z: "#36c" };
const DEFECTS = ["bpfo", "bpfi", "bsf", "ftf"];
const DEFECT_COLOURS = { bpfo: "#b0f", bpfi: "#e80", bsf: "#0aa", ftf: "#777" };
const LEVEL_COLOURS = { warning: "#c98a00", alarm: "#c62828" };
/** ISO 10816-3 zones, drawn behind the velocity trend. */
const ZONE_COLOURS = { A: "rgba(46,160,67,0.16)", B: "rgba(150,200,60,0.18)", C: "rgba(240,170,40,0.22)", D: "rgba(220,60,50,0.18)" };
/** Standard gravity, m/s^2: the node's g to m/s^2. */
const G = 9.80665;
/** The temperature axis spans at least this many steps of the sensor, and at least TEMP_MIN_SPAN_C (docs/dashboard.md). */
const TEMP_MIN_STEPS = 20;
const TEMP_MIN_SPAN_C = 0.5;
/** The vRms band when the dashboard was not given the node's configuration (the firmware's default). */
const DEFAULT_BAND = { lowHz: 10, highHz: 1000 };

const view = {
  selected: new URLSearchParams(location.search).get("node") || undefined,
  list: [],
  ws: undefined,
  finished: undefined,
  retry: 0,
  node: undefined, // the snapshot of the selected node, kept up to date
};

const charts = {
  vrms: new LineChart($("trend-vrms"), { x: "time", xLabel: "UTC", yLabel: "mm/s" }),
  temp: new LineChart($("trend-temp"), { x: "time", xLabel: "UTC", yLabel: "\u00b0C", height: 200 }),
  env: new LineChart($("trend-env"), { x: "time", xLabel: "UTC", yLabel: "g", height: 200 }),
  spectrum: new LineChart($("spectrum"), { xLabel: "Hz", height: 260 }),
  envelope: new LineChart($("envelope"), { xLabel: "Hz", yLabel: "mg 0-peak", height: 200 }),
  waterfall: new Waterfall($("waterfall"), { height: 220 }),
};

// ---- the connection ----

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  view.ws = ws;
  ws.onopen = () => { view.retry = 0; };
  ws.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    (HANDLERS[m.type] || (() => {}))(m);
  };
  ws.onclose = () => {
    view.ws = undefined;
    if (view.finished !== undefined) return setConn("finished", view.finished);
    setConn("lost", "connection lost, reconnecting...");
    setTimeout(connect, Math.min(10_000, 1000 * 2 ** view.retry++));
  };
}

const sendOp = (m) => view.ws?.readyState === WebSocket.OPEN && view.ws.send(JSON.stringify(m));

function setConn(state, text) {
  $("conn").dataset.state = state;
  $("conn").textContent = text;
  document.body.classList.toggle("finished", state === "finished");
}

const HANDLERS = {
  welcome(m) {
    setConn(m.finished ? "finished" : "live", m.finished ?? "live");
    view.finished = m.finished;
    setBroker(m.broker);
    showNodes(m);
    if (view.selected) select(view.selected, true);
  },
  finished(m) {
    view.finished = m.note;
    setConn("finished", m.note);
  },
  broker(m) { setBroker(m.connected); },
  nodes(m) { showNodes(m); },
  node(m) {
    if (m.node !== view.selected) return;
    view.node = m.snapshot ?? { id: m.node, points: [], alarms: [], captures: [], levels: [] };
    drawNode();
    if (!view.node.captures.length && !view.finished) sendOp({ op: "capture" });
  },
  telemetry(m) {
    const n = forSelected(m);
    if (!n) return;
    n.points.push(m.point);
    if (n.points.length > 600) n.points.shift();
    n.latest = m.latest;
    n.received = m.received;
    n.telemetryCount = (n.telemetryCount ?? 0) + 1;
    drawHead(); drawPanel(); drawTrends();
    if (speedOf(n).source === "telemetry") drawSpectra();
  },
  alarm(m) {
    const n = forSelected(m);
    if (!n) return;
    n.alarms.push(m.alarm);
    n.levels = m.levels;
    addAlarm(m.alarm);
    drawTrends();
  },
  status(m) {
    const n = forSelected(m);
    if (!n) return;
    n.status = m.status;
    n.tempResolution = m.tempResolution;
    drawHead(); drawPanel(); drawTrends();
  },
  capture(m) {
    const n = forSelected(m);
    if (!n) return;
    n.captures.push(m.capture);
    if (n.captures.length > 10) n.captures.shift();
    drawSpectra();
  },
  "capture-requested"(m) {
    if (m.node === view.selected && !view.node?.captures.length) $("spectrum-info").textContent = m.error ? `capture not sent: ${m.error}` : "capture requested: it comes with the node's next window";
  },
};

const forSelected = (m) => (m.node === view.selected ? view.node : undefined);

function setBroker(up) {
  $("broker").textContent = up ? "broker connected" : "broker not connected";
  $("broker").dataset.connected = String(Boolean(up));
}

// ---- the node list and keyboard navigation ----

function showNodes(m) {
  view.list = m.nodes;
  $("count").textContent = m.total > m.nodes.length ? `${m.nodes.length} of ${m.total} nodes` : `${m.total} node(s)`;
  const ul = $("nodes");
  while (ul.children.length > m.nodes.length) ul.lastChild.remove();
  m.nodes.forEach((n, i) => {
    let li = ul.children[i];
    if (!li) {
      li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = `node-option-${i}`;
      li.append(document.createElement("span"), document.createElement("small"));
      li.onclick = () => select(li.dataset.node);
      ul.append(li);
    }
    li.dataset.node = n.id;
    li.className = (n.id === view.selected ? "sel " : "") + (n.state || "") + (n.online === "offline" ? " offline" : "");
    li.setAttribute("aria-selected", String(n.id === view.selected));
    li.firstChild.textContent = n.id; // text, never markup: node ids come from topic names anyone can publish
    li.lastChild.textContent = n.x !== undefined ? `${n.x.toFixed(2)} mm/s` : n.online || "";
  });
  markSelected();
  if (!view.selected && m.nodes.length) select(m.nodes[0].id);
}

function markSelected() {
  const ul = $("nodes");
  let active;
  for (const li of ul.children) {
    const sel = li.dataset.node === view.selected;
    li.classList.toggle("sel", sel);
    li.setAttribute("aria-selected", String(sel));
    if (sel) active = li;
  }
  if (active) { ul.setAttribute("aria-activedescendant", active.id); active.scrollIntoView({ block: "nearest" }); }
}

function select(id, force = false) {
  if (!id || (id === view.selected && !force && view.node)) return;
  view.selected = id;
  view.node = undefined;
  history.replaceState(null, "", "?node=" + encodeURIComponent(id));
  markSelected();
  $("title").textContent = id;
  resetNodeView();
  sendOp({ op: "select", node: id });
}

function move(delta) {
  const ids = view.list.map((n) => n.id);
  if (!ids.length) return;
  const at = ids.indexOf(view.selected);
  const next = delta === -Infinity ? 0 : delta === Infinity ? ids.length - 1 : Math.max(0, Math.min(ids.length - 1, (at < 0 ? 0 : at) + delta));
  select(ids[next]);
}

const KEYS = { ArrowDown: 1, ArrowUp: -1, j: 1, k: -1, PageDown: 10, PageUp: -10, Home: -Infinity, End: Infinity };
document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(e.target.tagName)) return;
  if (e.key in KEYS) { e.preventDefault(); move(KEYS[e.key]); }
  else if (e.key === "c") requestCapture();
});

// ---- the selected node ----

function resetNodeView() {
  $("alarms").replaceChildren(noneItem("no alarm transitions"));
  for (const id of ["spectrum-info", "peaks", "markers", "envelope-info", "defects", "latest-id", "latest-more", "link", "received", "outbox"]) $(id).textContent = "";
  $("spectrum-info").textContent = "waiting for a capture";
  $("latest").tBodies[0].replaceChildren();
  drawTrends();
  drawSpectra();
}

function drawNode() {
  const n = view.node;
  $("alarms").replaceChildren(noneItem("no alarm transitions"));
  n.alarms.forEach(addAlarm);
  drawHead(); drawPanel(); drawTrends(); drawSpectra();
}

function noneItem(text) {
  const li = document.createElement("li");
  li.className = "none";
  li.textContent = text;
  return li;
}

function setBadge(id, text) {
  const el = $(id);
  el.textContent = text || "-";
  el.className = "badge " + (text || "");
}

function drawHead() {
  const n = view.node;
  if (!n) return;
  setBadge("status", n.status?.state);
  setBadge("state", n.latest?.state);
  $("points").textContent = `${n.points.length} points`;
  $("points").dataset.count = String(n.points.length);
}

/** A value from the payload, shown as the payload has it (the node rounds to what its sensors resolve). */
function field(el, key, value, suffix = "") {
  el.dataset.key = key;
  el.textContent = value === undefined || value === null ? "-" : String(value) + suffix;
}

function span(parent, key, value, prefix = "", suffix = "") {
  if (prefix) parent.append(prefix);
  const s = document.createElement("span");
  field(s, key, value);
  parent.append(s, suffix);
  return s;
}

/** Link, last telemetry, outbox and faults: what a node's health is read from. */
function drawPanel() {
  const n = view.node;
  if (!n) return;
  const st = n.status, t = n.latest;
  const link = $("link");
  link.replaceChildren();
  if (!st) link.textContent = "no status seen (retained status not published yet)";
  else if (st.state === "online") {
    span(link, "status.state", st.state);
    if (st.ts !== undefined) link.append(` since ${clock(st.ts)} UTC`);
    span(link, "status.boot", st.boot, ", boot ");
    span(link, "status.fw", st.fw, ", firmware ");
    if (st.reset) span(link, "status.reset", st.reset, ", reset: ");
  } else {
    span(link, "status.state", st.state);
    span(link, "status.boot", st.boot, " (last will of boot ", ")");
  }
  const rx = $("received");
  rx.replaceChildren();
  if (t) {
    span(rx, "latest.seq", t.seq, "seq ");
    span(rx, "latest.boot", t.boot, ", boot ");
    if (t.ts !== undefined) rx.append(` at ${clock(t.ts)} UTC`);
    rx.append(`, received ${ago(n.received)} (${n.telemetryCount ?? n.points.length} since the dashboard started)`);
    if (t.vib) span(rx, "latest.vib.lost", t.vib.lost, "; samples lost in the window: ");
  } else rx.textContent = "none yet";
  const ob = $("outbox");
  ob.replaceChildren();
  if (t?.outbox) {
    span(ob, "latest.outbox.queued", t.outbox.queued, "queued ");
    span(ob, "latest.outbox.dropped", t.outbox.dropped, ", dropped ");
    span(ob, "latest.outbox.rejected", t.outbox.rejected ?? 0, ", rejected by the broker ");
  } else ob.textContent = t ? "not reported" : "-";
  const faults = $("faults");
  const list = Array.isArray(t?.faults) ? t.faults : Array.isArray(st?.faults) ? st.faults : [];
  faults.replaceChildren(...(list.length ? list.map((f) => { const li = document.createElement("li"); li.className = "fault"; li.textContent = `${f.sensor}: ${f.reason}${f.detail ? ` (${f.detail})` : ""}`; return li; }) : [noneItem("none")]));
  faults.dataset.count = String(list.length);
  drawLatest();
}

function ago(ms) {
  if (ms === undefined) return "";
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 1 ? "just now" : `${s.toFixed(0)} s ago`;
}

/** The latest telemetry's per-axis features and the rest, each cell the payload's own value. */
function drawLatest() {
  const t = view.node?.latest;
  const body = $("latest").tBodies[0];
  body.replaceChildren();
  if (!t) return;
  $("latest-id").textContent = `seq ${t.seq}` + (t.ts !== undefined ? ` at ${clock(t.ts)} UTC` : "");
  $("latest").dataset.seq = String(t.seq);
  $("latest").dataset.boot = String(t.boot);
  for (const a of AXES) {
    const f = t.vib?.[a];
    const tr = body.insertRow();
    tr.insertCell().textContent = a;
    for (const k of ["vRms", "aRms", "aPeak", "crest", "kurtosis", "fDom", "zone"]) field(tr.insertCell(), `latest.vib.${a}.${k}`, f?.[k]);
  }
  const more = $("latest-more");
  more.replaceChildren();
  span(more, "latest.temp.c", t.temp?.c, "temperature ", " \u00b0C");
  if (t.speed) { span(more, "latest.speed.rpm", t.speed.rpm, "; speed ", " rpm"); span(more, "latest.speed.source", t.speed.source, " (", ")"); }
  if (t.running !== undefined) span(more, "latest.running", t.running ? "running" : "stopped", "; ");
  if (t.runHours !== undefined) span(more, "latest.runHours", t.runHours, ", ", " h run");
  for (const a of AXES) for (const o of ["order1x", "order2x", "order3x"]) if (t.vib?.[a]?.[o] !== undefined) span(more, `latest.vib.${a}.${o}`, t.vib[a][o], `; ${a} ${o.slice(5)} `, " mm/s");
  for (const a of AXES) {
    const env = t.vib?.[a]?.env;
    if (!env) continue;
    more.append(document.createElement("br"), `${a} envelope (g):`);
    for (const k of ["rms", "peak", "fDom", ...DEFECTS]) if (env[k] !== undefined) span(more, `latest.vib.${a}.env.${k}`, env[k], ` ${DEFECTS.includes(k) ? k.toUpperCase() : k === "fDom" ? "fDom Hz" : k} `);
  }
}

// ---- trends ----

/** The warning and alarm lines of the rules `match` names (it returns the label), one line per value: "x warning, y,z alarm 4.5". */
function levelLines(match) {
  const byValue = new Map();
  for (const l of view.node?.levels ?? []) {
    const name = match(l.name);
    if (!name) continue;
    for (const kind of ["warning", "alarm"]) {
      const y = l[kind];
      if (typeof y !== "number") continue;
      const line = byValue.get(y) ?? { y, kinds: new Map() };
      const who = `${kind}${l.source === "seen" ? " (from an alarm)" : ""}`;
      line.kinds.set(who, [...(line.kinds.get(who) ?? []), name]);
      if (kind === "alarm" || !line.color) line.color = LEVEL_COLOURS[kind];
      byValue.set(y, line);
    }
  }
  return [...byValue.values()].map((l) => ({ y: l.y, color: l.color, label: `${[...l.kinds].map(([who, names]) => `${names.join(",")} ${who}`).join(", ")} ${l.y}` }));
}

function drawTrends() {
  const n = view.node;
  const pts = n?.points ?? [];
  const t = pts.map((p) => p.t);
  const setup = n?.setup;
  // Velocity: the ISO zones of the machine class and every vRms rule's levels behind the axes.
  const z = setup?.zones;
  const bands = z ? [["A", 0, z.ab], ["B", z.ab, z.bc], ["C", z.bc, z.cd], ["D", z.cd, Infinity]].map(([zone, from, to]) => ({ from, to, color: ZONE_COLOURS[zone], label: `zone ${zone}` })) : [];
  const vLevels = levelLines((name) => /^([xyz])\.vRms(\.baseline)?$/.exec(name)?.slice(1).filter(Boolean).join(" "));
  $("zones-info").textContent = z ? `ISO 10816-3 zones of group ${z.group}, ${z.foundation} foundation` : setup ? "ISO zones off (monitor.iso false)" : "machine class unknown: no zones (the dashboard was not given this node's configuration)";
  charts.vrms.update({
    series: AXES.map((a, i) => ({ label: a, color: AXIS_COLOURS[a], x: t, y: pts.map((p) => p.v[i]) })),
    bands, levels: vLevels, yZero: true,
  });
  // Temperature: never zoomed below the sensor's resolution.
  const res = n?.tempResolution;
  const minSpan = Math.max(TEMP_MIN_SPAN_C, res ? TEMP_MIN_STEPS * res : 0);
  const sensor = n?.status?.sensors?.temperature ?? setup?.temperature;
  $("trend-temp").dataset.minSpan = String(minSpan);
  $("temp-info").textContent = sensor ? `${sensor}${res ? `, resolution ${res} \u00b0C` : ""}` : "";
  charts.temp.update({ series: [{ label: "temp", color: "#c70", x: t, y: pts.map((p) => p.temp) }], levels: levelLines((name) => (name === "temp.c" ? "temp" : undefined)), yMinSpan: minSpan, yMinStep: res ?? 0 });
  // Envelope: the bearing's defect amplitudes on one axis, with their rules' levels.
  const withEnv = pts.some((p) => p.env);
  $("env-trend-card").hidden = !withEnv;
  if (withEnv) {
    const axis = $("env-axis").value, i = AXES.indexOf(axis);
    charts.env.update({
      series: DEFECTS.map((d) => ({ label: d.toUpperCase(), color: DEFECT_COLOURS[d], x: t, y: pts.map((p) => p.env?.[d]?.[i] ?? null) })),
      levels: levelLines((name) => new RegExp(`^${axis}\\.env\\.(bpfo|bpfi|bsf|ftf)(\\.baseline)?$`).exec(name)?.[1]?.toUpperCase()),
      yZero: true,
    });
  }
}

// ---- spectra ----

/**
 * A capture's spectrum of one axis in the chosen unit: mg 0-peak, or mm/s RMS (a / 2 pi f, 0-peak / sqrt 2)
 * from `fromHz` up (below the vRms band 1/f turns leakage and drift into tall lines that are not the machine).
 * DC (gravity, offset) is left out of both: the node removes it from every feature.
 */
function inUnit(values, df, unit, fromHz) {
  if (unit === "acc") return values.map((ug, k) => (k === 0 ? null : ug / 1000));
  return values.map((ug, k) => (k === 0 || k * df < fromHz ? null : (ug * 1e-6 * G * 1000) / (2 * Math.PI * k * df) / Math.SQRT2));
}

/** The running speed for the markers: the capture's own (bearing diagnostics), the latest telemetry's, or the configured one. */
function speedOf(n, capture) {
  if (capture?.envelope?.speed > 0) return { rpm: capture.envelope.speed, source: "capture", text: "measured in the capture's window" };
  const tel = n?.latest?.speed?.rpm;
  if (tel > 0) return { rpm: tel, source: "telemetry", text: `telemetry speed.rpm (${n.latest.speed.source})` };
  if (n?.setup?.rpm > 0) return { rpm: n.setup.rpm, source: "config", text: "configured machine.rpm" };
  return { rpm: undefined, source: "none", text: "running speed unknown: no speed.rpm in telemetry, no machine.rpm" };
}

/** The largest line of `a` in bins [k0, k1], its frequency refined by a parabola through the log amplitudes around it (as the node's fDom). */
function peak(values, acc, df, k0, k1) {
  let best = -1;
  for (let k = Math.max(1, k0); k <= Math.min(k1, values.length - 1); k++) if (values[k] !== null && (best < 0 || values[k] > values[best])) best = k;
  if (best < 0) return undefined;
  const [a, b, c] = [acc[best - 1], acc[best], acc[best + 1]].map(Math.log);
  const den = a - 2 * b + c;
  const d = Number.isFinite(den) && den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den)) : 0;
  return { hz: (best + d) * df, value: values[best], bin: best };
}

function fmaxOptions(odr) {
  const sel = $("spec-fmax");
  const nyquist = odr / 2;
  const wanted = [nyquist, ...[1000, 500, 200, 100, 50].filter((f) => f < nyquist)].map(String);
  if ([...sel.options].map((o) => o.value).join() === wanted.join()) return;
  const keep = sel.value;
  sel.replaceChildren(...wanted.map((v, i) => new Option(i === 0 ? `${v} Hz (ODR/2)` : `${v} Hz`, v)));
  if (wanted.includes(keep)) sel.value = keep;
}

function drawSpectra() {
  const n = view.node;
  const caps = n?.captures ?? [];
  const s = caps[caps.length - 1];
  const unit = $("spec-unit").value, xKind = $("spec-x").value;
  const unitText = unit === "acc" ? "mg 0-peak" : "mm/s RMS";
  charts.spectrum.setX(xKind);
  charts.envelope.setX(xKind);
  if (!s) {
    charts.spectrum.update({ series: [] });
    charts.waterfall.update({ rows: [], x: xKind, xDomain: xKind === "log" ? [1, 1000] : [0, 1000] });
    $("envelope-card").hidden = true;
    return;
  }
  fmaxOptions(s.odr);
  const fmax = Number($("spec-fmax").value) || s.odr / 2;
  const xDomain = [xKind === "log" ? s.df : 0, fmax];
  const f = s.x.map((_, k) => k * s.df);
  const band = n.setup?.band ?? DEFAULT_BAND;
  const lo = band.lowHz, hi = Math.min(band.highHz, s.odr / 2);
  const [k0, k1] = [Math.ceil(lo / s.df), Math.floor(hi / s.df)];
  const values = Object.fromEntries(AXES.map((a) => [a, inUnit(s[a], s.df, unit, lo)]));
  // Markers: 1x..3x running speed, and the bearing's defect frequencies the node reported for this capture.
  const speed = speedOf(n, s);
  const markers = [];
  if (speed.rpm) for (let h = 1; h <= 3; h++) markers.push({ x: (h * speed.rpm) / 60, color: "#222", label: `${h}x` });
  const defects = s.envelope?.defects ?? {};
  for (const d of DEFECTS) if (defects[d] > 0) markers.push({ x: defects[d], color: DEFECT_COLOURS[d], label: d.toUpperCase() });
  charts.spectrum.opts.yLabel = unitText;
  charts.spectrum.update({
    series: AXES.map((a) => ({ label: a, color: AXIS_COLOURS[a], x: f, y: values[a] })),
    markers, xDomain, yDomainX: [lo, fmax], yZero: true,
  });
  const info = $("spectrum-info");
  info.textContent = `capture ${s.id}` + (s.t !== undefined ? ` at ${clock(s.t)} UTC` : "") + `: ${s.n} samples at ${s.odr} Hz, ${s.df.toFixed(3)} Hz per line`;
  $("spectrum").dataset.bins = String(s.x.length);
  $("spectrum").dataset.capture = String(s.id);
  // Peaks inside the vRms band only: DC, gravity's leakage and sub-band drift are not the machine (the node's fDom looks there too).
  const peaks = $("peaks");
  peaks.replaceChildren(`largest line in ${lo}-${hi} Hz${n.setup ? "" : " (the default band)"}:`);
  peaks.dataset.unit = unit;
  for (const a of AXES) {
    const p = peak(values[a], s[a], s.df, k0, k1);
    if (!p) continue;
    const el = document.createElement("span");
    el.dataset.axis = a;
    el.dataset.hz = String(p.hz);
    el.dataset.value = String(p.value);
    el.textContent = ` ${a} ${p.hz.toFixed(2)} Hz ${p.value.toFixed(unit === "acc" ? 2 : 3)} ${unitText}`;
    peaks.append(el);
  }
  const mk = $("markers");
  mk.textContent = speed.rpm ? `1x ${(speed.rpm / 60).toFixed(2)} Hz = ${speed.rpm.toFixed(1)} rpm (${speed.text})` : speed.text;
  mk.dataset.rpm = speed.rpm ? String(speed.rpm) : "";
  mk.dataset.source = speed.source;
  drawEnvelope(s, xKind);
  charts.waterfall.update({
    rows: caps.map((c) => ({ t: c.t, df: c.df, values: inUnit(c[$("wf-axis").value], c.df, unit, lo).map((v) => v ?? 0) })),
    x: xKind, xDomain, fromHz: lo, label: `${$("wf-axis").value}, ${unitText}`,
  });
}

/** The envelope spectrum of a node with bearing diagnostics: the defect frequencies and their first three harmonics marked. */
function drawEnvelope(s, xKind) {
  const e = s.envelope;
  $("envelope-card").hidden = !e;
  if (!e) return;
  const f = e.x.map((_, k) => k * e.df);
  const defects = e.defects || {};
  const markers = [];
  for (const [d, hz] of Object.entries(defects)) for (let h = 1; h <= 3; h++) markers.push({ x: h * hz, color: DEFECT_COLOURS[d] || "#000", label: h === 1 ? d.toUpperCase() : `${h}x` });
  // From 2 Hz: the envelope's mean sits in the first bins.
  const k0 = Math.ceil(2 / e.df);
  charts.envelope.update({ series: AXES.map((a) => ({ label: a, color: AXIS_COLOURS[a], x: f, y: e[a].map((ug) => ug / 1000) })), markers, xDomain: [xKind === "log" ? e.df : 0, f[f.length - 1]], yDomainX: [2, Infinity], yZero: true });
  const p = peak(e.x, e.x, e.df, k0, e.x.length - 2);
  $("envelope-info").textContent = `capture ${s.id}: peak x ${p ? p.hz.toFixed(1) : "-"} Hz` + (e.speed ? `, speed ${e.speed.toFixed(0)} rpm` : "");
  if (p) $("envelope").dataset.peak = String(p.hz);
  const d = $("defects");
  d.textContent = Object.entries(defects).map(([k, v]) => `${k.toUpperCase()} ${v.toFixed(1)} Hz`).join(" \u00b7 ") || "no bearing configured, or no speed yet";
  for (const [k, v] of Object.entries(defects)) d.dataset[k] = String(v);
}

// ---- alarms, capture requests ----

function addAlarm(a) {
  const list = $("alarms");
  list.querySelector(".none")?.remove();
  const li = document.createElement("li");
  li.className = a.level;
  const when = a.ts ? clock(a.ts) : "";
  li.textContent = `${when} ${a.metric}: ${a.prev} \u2192 ${a.level}` + (a.value !== undefined ? ` (${a.value}, limit ${a.limit})` : "") + (a.reason ? ` ${a.reason}` : "");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function requestCapture() {
  if (view.selected && !view.finished) sendOp({ op: "capture" });
}

let autoTimer;
$("auto").onchange = () => {
  clearInterval(autoTimer);
  const s = Number($("auto").value);
  if (s > 0) autoTimer = setInterval(requestCapture, s * 1000);
};
$("capture").onclick = requestCapture;
for (const id of ["spec-unit", "spec-x", "spec-fmax", "wf-axis"]) $(id).onchange = drawSpectra;
$("env-axis").onchange = drawTrends;
setInterval(() => { if (view.node?.received && !view.finished) drawPanel(); }, 1000);
connect();
