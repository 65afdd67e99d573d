// sensor-node dashboard: node list, live trends, spectrum and alarms over Server-Sent Events.
"use strict";
const $ = (id) => document.getElementById(id);
let selected = new URLSearchParams(location.search).get("node") || undefined;
let source;
const trend = { t: [], x: [], y: [], z: [], temp: [] };
const width = () => Math.max(300, Math.floor(($("trend-vrms").parentElement.clientWidth || 500) - 20));

const vrmsPlot = new uPlot({ width: width(), height: 200, series: [{}, { label: "x", stroke: "#d33" }, { label: "y", stroke: "#2a2" }, { label: "z", stroke: "#36c" }], axes: [{}, { size: 45 }] }, [[], [], [], []], $("trend-vrms"));
const tempPlot = new uPlot({ width: width(), height: 200, series: [{}, { label: "temp", stroke: "#c70" }], axes: [{}, { size: 60 }] }, [[], []], $("trend-temp"));
// Bearing defect frequencies of the last capture (Hz; its meta.envelope.defects), drawn on both spectra: the fundamentals on the FFT, 1x-3x on the envelope.
let defects = {};
const DEFECT_COLOURS = { bpfo: "#b0f", bpfi: "#e80", bsf: "#0aa", ftf: "#777" };
function defectMarkers(harmonics) {
  return (u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.setLineDash([4, 4]);
    ctx.font = `${10 * devicePixelRatio}px sans-serif`;
    for (const [name, f] of Object.entries(defects)) {
      for (let h = 1; h <= harmonics; h++) {
        const x = u.valToPos(h * f, "x", true);
        if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
        ctx.strokeStyle = ctx.fillStyle = DEFECT_COLOURS[name] || "#000";
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
        ctx.fillText(h === 1 ? name.toUpperCase() : `${h}x`, x + 2, u.bbox.top + 10 * devicePixelRatio);
      }
    }
    ctx.restore();
  };
}
const specOptions = (label, harmonics) => ({ width: width(), height: 200, scales: { x: { time: false } }, series: [{ label: "Hz" }, { label: `x ${label}`, stroke: "#d33" }, { label: `y ${label}`, stroke: "#2a2" }, { label: `z ${label}`, stroke: "#36c" }], axes: [{ label: "Hz" }, { size: 45 }], hooks: { draw: [defectMarkers(harmonics)] } });
const specPlot = new uPlot(specOptions("mg", 1), [[], [], [], []], $("spectrum"));
const envPlot = new uPlot(specOptions("mg", 3), [[], [], [], []], $("envelope"));

function redrawTrends() {
  vrmsPlot.setData([trend.t, trend.x, trend.y, trend.z]);
  tempPlot.setData([trend.t, trend.temp]);
  $("points").textContent = `${trend.t.length} points`;
  $("points").dataset.count = String(trend.t.length);
}

function addPoint(p) {
  trend.t.push(p.t / 1000); trend.x.push(p.x ?? null); trend.y.push(p.y ?? null); trend.z.push(p.z ?? null); trend.temp.push(p.temp ?? null);
  if (trend.t.length > 600) for (const k in trend) trend[k].shift();
  if (p.state) setBadge("state", p.state);
}

function setBadge(id, text) { const el = $(id); el.textContent = text; el.className = "badge " + text; }

const mg = (a) => a.map((v) => v / 1000);
/** Frequency of the largest bin from `first` on, Hz. */
const peakHz = (a, df, first) => { let m = first; for (let i = first + 1; i < a.length; i++) if (a[i] > a[m]) m = i; return m * df; };

function showSpectrum(s) {
  defects = s.envelope?.defects || {};
  const f = s.x.map((_, i) => i * s.df);
  specPlot.setData([f, mg(s.x), mg(s.y), mg(s.z)]);
  $("spectrum-info").textContent = `capture ${s.id}: ${s.n} samples at ${s.odr} Hz, peak x ${peakHz(s.x, s.df, 1).toFixed(1)} Hz`;
  $("spectrum").dataset.bins = String(s.x.length);
  showEnvelope(s.id, s.envelope);
}

/** The envelope spectrum of a node with bearing diagnostics, its defect frequencies listed and marked. */
function showEnvelope(id, e) {
  $("envelope-card").hidden = !e;
  if (!e) return;
  const f = e.x.map((_, i) => i * e.df);
  envPlot.setData([f, mg(e.x), mg(e.y), mg(e.z)]);
  // from 2 Hz: the envelope's mean sits in the first bins
  const peak = peakHz(e.x, e.df, Math.ceil(2 / e.df));
  $("envelope-info").textContent = `capture ${id}: peak x ${peak.toFixed(1)} Hz` + (e.speed ? `, speed ${e.speed.toFixed(0)} rpm` : "");
  $("envelope").dataset.peak = String(peak);
  const d = $("defects");
  d.textContent = Object.entries(defects).map(([k, v]) => `${k.toUpperCase()} ${v.toFixed(1)} Hz`).join(" \u00b7 ") || "no bearing configured, or no speed yet";
  for (const [k, v] of Object.entries(defects)) d.dataset[k] = String(v);
}

function addAlarm(a) {
  const list = $("alarms");
  list.querySelector(".none")?.remove();
  const li = document.createElement("li");
  li.className = a.level;
  const when = a.ts ? new Date(a.ts).toISOString().slice(11, 19) : "";
  li.textContent = `${when} ${a.metric}: ${a.prev} \u2192 ${a.level}` + (a.value !== undefined ? ` (${a.value}, limit ${a.limit})` : "") + (a.reason ? ` ${a.reason}` : "");
  list.prepend(li);
}

function select(id) {
  selected = id;
  history.replaceState(null, "", "?node=" + encodeURIComponent(id));
  for (const li of $("nodes").children) li.classList.toggle("sel", li.dataset.node === id);
  connect();
  fetch("/api/capture?node=" + encodeURIComponent(id), { method: "POST" });
}

function connect() {
  source?.close();
  for (const k in trend) trend[k] = [];
  $("alarms").innerHTML = '<li class="none">no alarm transitions</li>';
  $("title").textContent = selected || "no node yet";
  source = new EventSource("/events" + (selected ? "?node=" + encodeURIComponent(selected) : ""));
  source.onopen = () => ($("conn").textContent = "live");
  source.onerror = () => ($("conn").textContent = "reconnecting...");
  source.addEventListener("hello", (e) => {
    const s = JSON.parse(e.data).snapshot;
    if (!s) return;
    s.points.forEach(addPoint);
    redrawTrends();
    s.alarms.forEach(addAlarm);
    if (s.status) setBadge("status", s.status.state);
    if (s.spectrum) showSpectrum(s.spectrum);
  });
  source.addEventListener("telemetry", (e) => { addPoint(JSON.parse(e.data).point); redrawTrends(); });
  source.addEventListener("alarm", (e) => addAlarm(JSON.parse(e.data).alarm));
  source.addEventListener("status", (e) => setBadge("status", JSON.parse(e.data).status.state));
  source.addEventListener("spectrum", (e) => showSpectrum(JSON.parse(e.data).spectrum));
  source.addEventListener("nodes", (e) => showNodes(JSON.parse(e.data)));
}

function showNodes(list) {
  $("count").textContent = `${list.length} node(s)`;
  const ul = $("nodes");
  const shown = list.slice(0, 500);
  while (ul.children.length > shown.length) ul.lastChild.remove();
  shown.forEach((n, i) => {
    let li = ul.children[i];
    if (!li) { li = document.createElement("li"); li.onclick = () => select(li.dataset.node); ul.append(li); }
    li.dataset.node = n.id;
    li.className = (n.id === selected ? "sel " : "") + (n.state || "");
    li.innerHTML = `<span>${n.id}</span><small>${n.x !== undefined ? n.x.toFixed(2) + " mm/s" : n.online || ""}</small>`;
  });
  if (!selected && list.length) select(list[0].id);
}

$("capture").onclick = () => selected && fetch("/api/capture?node=" + encodeURIComponent(selected), { method: "POST" });
window.addEventListener("resize", () => { for (const p of [vrmsPlot, tempPlot, specPlot, envPlot]) p.setSize({ width: width(), height: 200 }); });
connect();
