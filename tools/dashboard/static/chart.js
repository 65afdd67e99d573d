// Plain-canvas charts for the dashboard: a line chart (trends and spectra: time,
// linear or log x; bands, level lines and markers behind the data; a cursor
// readout) and a waterfall (spectra over time as a heat map). No library.
// Each chart writes what it drew as data attributes of its element (axis ranges,
// plot box) so a test can check the page against the data it was sent.
"use strict";

const MARGIN = { left: 56, right: 14, top: 18, bottom: 30 };
const FONT = "11px system-ui, sans-serif";

/** An x or y scale: value <-> pixel on [p0, p1]. */
function scale(kind, lo, hi, p0, p1) {
  if (kind === "log") {
    const a = Math.log10(lo), b = Math.log10(hi);
    return { kind, lo, hi, px: (v) => p0 + ((Math.log10(v) - a) / (b - a)) * (p1 - p0), val: (p) => 10 ** (a + ((p - p0) / (p1 - p0)) * (b - a)) };
  }
  return { kind, lo, hi, px: (v) => p0 + ((v - lo) / (hi - lo)) * (p1 - p0), val: (p) => lo + ((p - p0) / (p1 - p0)) * (hi - lo) };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);
const pad2 = (n) => String(n).padStart(2, "0");
/** Wall time of a payload `ts`, UTC (the simulation's clock starts at 2026-01-01T00:00:00Z). */
export function clock(ms, seconds = true) {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` + (seconds ? `:${pad2(d.getUTCSeconds())}` : "");
}

/** Tick values and labels of a scale for `room` pixels; `minStep` keeps linear steps at or above it (a sensor's resolution). */
function ticks(s, room, minStep = 0) {
  const out = [];
  if (!(Number.isFinite(s.lo) && Number.isFinite(s.hi) && s.hi > s.lo) || (s.kind === "log" && !(s.lo > 0))) return out;
  if (s.kind === "log") {
    const decades = Math.log10(s.hi) - Math.log10(s.lo);
    const mults = room / decades > 120 ? [1, 2, 5] : [1];
    for (let e = Math.floor(Math.log10(s.lo)); e <= Math.ceil(Math.log10(s.hi)); e++) {
      for (const m of mults) {
        const v = m * 10 ** e;
        if (v >= s.lo && v <= s.hi) out.push({ v, label: fmt(v, Math.max(0, -e)) });
      }
    }
    return out;
  }
  if (s.kind === "time") {
    const step = TIME_STEPS.find((t) => t >= (s.hi - s.lo) / Math.max(1, room / 80)) ?? TIME_STEPS[TIME_STEPS.length - 1];
    for (let v = Math.ceil(s.lo / step) * step; v <= s.hi; v += step) out.push({ v, label: clock(v, step < 60_000) });
    return out;
  }
  const step = Math.max(niceStep((s.hi - s.lo) / Math.max(1, room / 40)), minStep > 0 ? niceStep(minStep) : 0);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  for (let v = Math.ceil(s.lo / step - 1e-9) * step; v <= s.hi + step * 1e-9; v += step) out.push({ v, label: fmt(v, decimals) });
  return out;
}

function fmt(v, decimals) {
  return Math.abs(v) < 1e-12 ? "0" : v.toFixed(Math.min(decimals, 6));
}

/** A canvas filling `el`'s width, redrawn on resize; `draw(ctx, width, height)` paints it. */
class Surface {
  constructor(el, height, draw) {
    this.el = el;
    this.height = height;
    this.canvas = document.createElement("canvas");
    el.append(this.canvas);
    this.paint = draw;
    new ResizeObserver(() => this.redraw()).observe(el);
  }
  redraw() {
    const width = Math.max(240, this.el.clientWidth);
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(this.height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(this.height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${this.height}px`;
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, this.height);
    ctx.font = FONT;
    this.paint(ctx, width, this.height);
  }
}

function xAxis(ctx, xs, top, bottom, label, width) {
  ctx.fillStyle = "#556";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks(xs, width - MARGIN.left - MARGIN.right)) {
    const p = xs.px(t.v);
    ctx.strokeStyle = "#e6e9ef";
    ctx.beginPath(); ctx.moveTo(p, top); ctx.lineTo(p, bottom); ctx.stroke();
    ctx.fillText(t.label, p, bottom + 4);
  }
  if (label) { ctx.textAlign = "right"; ctx.fillText(label, width - MARGIN.right, bottom + 16); }
}

/**
 * A line chart. update({series: [{label, color, x, y}], bands: [{from, to, color, label}],
 * levels: [{y, color, label}], markers: [{x, color, label}], xDomain, yDomainX, yZero, yMinSpan, yMinStep})
 */
export class LineChart {
  constructor(el, { height = 220, x = "linear", xLabel = "", yLabel = "" } = {}) {
    this.opts = { x, xLabel, yLabel };
    this.spec = { series: [] };
    this.cursor = undefined;
    this.surface = new Surface(el, height, (ctx, w, h) => this.#draw(ctx, w, h));
    const c = this.surface.canvas;
    c.addEventListener("mousemove", (e) => { this.cursor = e.offsetX; this.surface.redraw(); });
    c.addEventListener("mouseleave", () => { this.cursor = undefined; this.surface.redraw(); });
  }

  /** The x axis kind for the next update(). */
  setX(kind) { this.opts.x = kind; }

  update(spec) { this.spec = spec; this.surface.redraw(); }

  #domains() {
    const { series, levels = [], xDomain, yDomainX, yZero, yMinSpan = 0 } = this.spec;
    const log = this.opts.x === "log";
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of series) {
      for (let i = 0; i < s.x.length; i++) {
        const x = s.x[i], y = s.y[i];
        if (y === null || y === undefined || !Number.isFinite(y) || (log && !(x > 0))) continue;
        if (xDomain && (x < xDomain[0] || x > xDomain[1])) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        if (yDomainX && (x < yDomainX[0] || x > yDomainX[1])) continue;
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
    if (xDomain) { x0 = xDomain[0]; x1 = xDomain[1]; }
    // A log axis starts at the first positive value (a domain from 0 has no logarithm).
    if (!(x1 > x0) || (log && !(x0 > 0))) [x0, x1] = log ? [1, 10] : [x0 === Infinity ? 0 : x0 - 1, x0 === Infinity ? 1 : x0 + 1];
    for (const l of levels) { y0 = Math.min(y0, l.y); y1 = Math.max(y1, l.y); }
    if (y0 === Infinity) { y0 = 0; y1 = 1; }
    if (yZero) y0 = Math.min(0, y0);
    const span = y1 - y0;
    y1 += span * 0.08 || 0.5;
    if (!yZero) y0 -= span * 0.08 || 0.5;
    if (y1 - y0 < yMinSpan) {
      const mid = (y0 + y1) / 2;
      y0 = mid - yMinSpan / 2; y1 = mid + yMinSpan / 2;
      if (yZero && y0 < 0) { y0 = 0; y1 = yMinSpan; }
    }
    return { x0, x1, y0, y1 };
  }

  #draw(ctx, width, height) {
    const { series, bands = [], levels = [], markers = [], yMinStep = 0 } = this.spec;
    const left = MARGIN.left, right = width - MARGIN.right, top = MARGIN.top, bottom = height - MARGIN.bottom;
    const d = this.#domains();
    const xs = scale(this.opts.x, d.x0, d.x1, left, right);
    const ys = scale("linear", d.y0, d.y1, bottom, top);
    Object.assign(this.surface.el.dataset, {
      xMin: d.x0, xMax: d.x1, yMin: d.y0, yMax: d.y1,
      plot: JSON.stringify({ left, top, width: right - left, height: bottom - top }),
      bands: JSON.stringify(bands.map((b) => [b.label, b.from, Number.isFinite(b.to) ? b.to : null])),
      levels: JSON.stringify(levels.map((l) => [l.label, l.y])),
      markers: JSON.stringify(markers.map((m) => [m.label, m.x])),
    });
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, right - left, bottom - top); ctx.clip();
    // Behind the data: bands (zones), then levels and markers.
    for (const b of bands) {
      const pTop = ys.px(Math.min(b.to, d.y1)), pBottom = ys.px(Math.max(b.from, d.y0));
      if (pBottom <= pTop) continue;
      ctx.fillStyle = b.color;
      ctx.fillRect(left, pTop, right - left, pBottom - pTop);
      ctx.fillStyle = "rgba(30,40,60,0.55)";
      ctx.textAlign = "left"; ctx.textBaseline = "top";
      ctx.fillText(b.label, left + 4, pTop + 2);
    }
    ctx.restore();
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillStyle = "#556";
    for (const t of ticks(ys, bottom - top, yMinStep)) {
      const p = ys.px(t.v);
      ctx.strokeStyle = "rgba(120,130,150,0.25)";
      ctx.beginPath(); ctx.moveTo(left, p); ctx.lineTo(right, p); ctx.stroke();
      ctx.fillText(t.label, left - 5, p);
    }
    xAxis(ctx, xs, top, bottom, this.opts.xLabel, width);
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, right - left, bottom - top); ctx.clip();
    ctx.setLineDash([6, 4]);
    for (const l of levels) {
      const p = ys.px(l.y);
      ctx.strokeStyle = ctx.fillStyle = l.color;
      ctx.beginPath(); ctx.moveTo(left, p); ctx.lineTo(right, p); ctx.stroke();
      ctx.textAlign = "right"; ctx.textBaseline = "bottom";
      ctx.fillText(l.label, right - 4, p - 1);
    }
    ctx.setLineDash([3, 3]);
    // Labels take the first row, from the top, where they do not run into an earlier one.
    const rowEnds = [];
    for (const m of [...markers].sort((a, b) => a.x - b.x)) {
      if (!(m.x >= d.x0 && m.x <= d.x1)) continue;
      const p = xs.px(m.x);
      ctx.strokeStyle = ctx.fillStyle = m.color;
      ctx.beginPath(); ctx.moveTo(p, top); ctx.lineTo(p, bottom); ctx.stroke();
      let row = 0;
      while ((rowEnds[row] ?? -Infinity) > p) row++;
      rowEnds[row] = p + ctx.measureText(m.label).width + 6;
      ctx.textAlign = "left"; ctx.textBaseline = "top";
      ctx.fillText(m.label, p + 2, top + 2 + row * 12);
    }
    ctx.setLineDash([]);
    ctx.lineWidth = 1.4;
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        const x = s.x[i], y = s.y[i];
        if (y === null || y === undefined || !Number.isFinite(y) || x < d.x0 || x > d.x1 || (xs.kind === "log" && !(x > 0))) { pen = false; continue; }
        const px = xs.px(x), py = ys.px(y);
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
      if (s.x.length === 1 && s.y[0] !== null) { ctx.fillStyle = s.color; ctx.fillRect(xs.px(s.x[0]) - 2, ys.px(s.y[0]) - 2, 4, 4); }
    }
    ctx.restore();
    // Legend and axis label above the plot.
    ctx.textBaseline = "bottom"; ctx.textAlign = "left";
    let lx = left;
    ctx.fillStyle = "#556"; ctx.fillText(this.opts.yLabel, 4, top - 4); lx += 0;
    for (const s of series) {
      if (!s.label) continue;
      ctx.fillStyle = s.color; ctx.fillRect(lx + 40, top - 12, 10, 3);
      ctx.fillText(s.label, lx + 54, top - 4);
      lx += 54 + ctx.measureText(s.label).width;
    }
    if (this.cursor !== undefined && this.cursor >= left && this.cursor <= right) this.#readout(ctx, xs, top, bottom, right);
  }

  /** The crosshair and the values of each series at the nearest sample. */
  #readout(ctx, xs, top, bottom, right) {
    const xv = xs.val(this.cursor);
    ctx.strokeStyle = "rgba(0,0,0,0.4)";
    ctx.beginPath(); ctx.moveTo(this.cursor, top); ctx.lineTo(this.cursor, bottom); ctx.stroke();
    const parts = [this.opts.x === "time" ? clock(xv) : `${xv.toFixed(xv < 10 ? 2 : 1)} ${this.opts.xLabel}`];
    for (const s of this.spec.series) {
      const i = nearest(s.x, xv);
      if (i >= 0 && s.y[i] !== null && s.y[i] !== undefined) parts.push(`${s.label} ${Number(s.y[i]).toPrecision(4)}`);
    }
    const text = parts.join("  ");
    ctx.fillStyle = "rgba(255,255,255,0.9)";
    const w = ctx.measureText(text).width + 8;
    ctx.fillRect(right - w, top, w, 15);
    ctx.fillStyle = "#123"; ctx.textAlign = "right"; ctx.textBaseline = "top";
    ctx.fillText(text, right - 4, top + 2);
  }
}

/** Index of the value of sorted `xs` nearest `v`. */
function nearest(xs, v) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] < v) lo = mid; else hi = mid; }
  return Math.abs(xs[lo] - v) <= Math.abs(xs[hi] - v) ? lo : hi;
}

/** Amplitude to colour: dark blue (quiet) through cyan and yellow to red (loudest), t in 0..1. */
function heat(t) {
  const stops = [[20, 30, 80], [30, 140, 200], [90, 200, 120], [250, 220, 60], [220, 40, 30]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Decibels shown below the loudest line of a waterfall. */
export const WATERFALL_RANGE_DB = 50;

/**
 * Spectra over time, newest on top: update({rows: [{t, df, values}], x: "linear"|"log", xDomain, fromHz, label}).
 * Each pixel column shows the largest bin it covers; colour is dB below the loudest bin of all rows from `fromHz` up
 * (the lines below the vRms band, DC's leakage, would otherwise set the scale).
 */
export class Waterfall {
  constructor(el, { height = 220 } = {}) {
    this.spec = { rows: [] };
    this.surface = new Surface(el, height, (ctx, w, h) => this.#draw(ctx, w, h));
  }

  update(spec) { this.spec = spec; this.surface.redraw(); }

  #draw(ctx, width, height) {
    const { rows, x = "linear", xDomain = [0, 1], fromHz = 0, label = "" } = this.spec;
    const left = MARGIN.left, right = width - MARGIN.right, top = MARGIN.top, bottom = height - MARGIN.bottom;
    const xs = scale(x, xDomain[0], xDomain[1], left, right);
    this.surface.el.dataset.rows = String(rows.length);
    let max = 0;
    for (const r of rows) for (let k = Math.max(1, Math.ceil(fromHz / r.df)); k < r.values.length; k++) if (r.values[k] > max) max = r.values[k];
    const rowH = (bottom - top) / Math.max(rows.length, 4);
    rows.forEach((r, i) => {
      const y = top + (rows.length - 1 - i) * rowH;
      for (let p = left; p < right; p++) {
        const k0 = Math.max(1, Math.ceil(xs.val(p) / r.df)), k1 = Math.min(r.values.length - 1, Math.floor(xs.val(p + 1) / r.df));
        let v = 0;
        if (k1 < k0) v = r.values[Math.min(r.values.length - 1, Math.round(xs.val(p + 0.5) / r.df))] ?? 0;
        else for (let k = k0; k <= k1; k++) if (r.values[k] > v) v = r.values[k];
        const db = v > 0 && max > 0 ? 20 * Math.log10(v / max) : -Infinity;
        ctx.fillStyle = heat(1 + db / WATERFALL_RANGE_DB);
        ctx.fillRect(p, y, 1, Math.max(1, rowH - 1));
      }
      ctx.fillStyle = "#556"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
      if (r.t !== undefined && rowH >= 11) ctx.fillText(clock(r.t), left - 4, y + rowH / 2);
    });
    if (!rows.length) { ctx.fillStyle = "#889"; ctx.textAlign = "center"; ctx.fillText("no capture yet", (left + right) / 2, (top + bottom) / 2); }
    xAxis(ctx, xs, bottom, bottom, "Hz", width);
    ctx.fillStyle = "#556"; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    ctx.fillText(`${label}   colour: 0 to -${WATERFALL_RANGE_DB} dB of the largest line from ${fromHz} Hz`, 4, top - 4);
  }
}
