/*
 * `cmd/capture`: the raw waveform and amplitude spectrum of the next window,
 * for remote diagnosis, as a set of JSON messages under
 * `<prefix>/<nodeId>/capture/<id>/...`:
 *   meta                      {v, id, ts, odr, n, df, axes, chunk, units}
 *   wave/<axis>/<k>           {v, id, axis, offset, data: [ug, ...]}   samples, gravity included
 *   spectrum/<axis>/<k>       {v, id, axis, offset, data: [ug, ...]}   bins 0..n/2, 0-peak amplitude
 *   envelope/<axis>/<k>       {v, id, axis, offset, data: [ug, ...]}   with bearing diagnostics: the
 *                             envelope spectrum, bins 0..n/2 at meta.envelope.df (df/2), 0-peak
 * meta.envelope (with bearing diagnostics): {df, chunks, speed: rpm, defects: {bpfo, bpfi, bsf, ftf} Hz}
 * Values are whole micro-g, enough for the finest part (ADXL355: 3.9 ug/LSB).
 */
import { IN_G, type SampleScale, type WindowSamples } from "../acquisition/acquirer.js";

export const CAPTURE_CHUNK = 1024;
const UG_PER_G = 1e6;

export interface CaptureMessage {
  topic: string;
  payload: string;
}

export interface CaptureInput {
  id: number;
  base: string;
  ts: number | undefined;
  odr: number;
  n: number;
  /** The window's samples as stored: g = (value - waveUnit.offset) * waveUnit.scale. */
  waves: { x: WindowSamples; y: WindowSamples; z: WindowSamples };
  waveUnit: SampleScale;
  spectra: { x: Float32Array; y: Float32Array; z: Float32Array };
  /** The envelope spectra and the defect frequencies at the window's speed (Hz; absent while unknown), with bearing diagnostics on. */
  envelope?: { df: number; spectra: { x: Float32Array; y: Float32Array; z: Float32Array }; rpm: number; defects?: Record<string, number> };
}

export function captureMessages(c: CaptureInput): CaptureMessage[] {
  const root = `${c.base}/capture/${c.id}`;
  const out: CaptureMessage[] = [];
  const bins = (c.n >> 1) + 1;
  const meta: Record<string, unknown> = { v: 1, id: c.id };
  if (c.ts !== undefined) meta.ts = Math.round(c.ts);
  Object.assign(meta, {
    odr: c.odr,
    n: c.n,
    df: c.odr / c.n,
    axes: ["x", "y", "z"],
    chunk: CAPTURE_CHUNK,
    waveChunks: Math.ceil(c.n / CAPTURE_CHUNK),
    spectrumChunks: Math.ceil(bins / CAPTURE_CHUNK),
    units: { wave: "ug", spectrum: "ug 0-peak" },
  });
  const env = c.envelope;
  if (env) meta.envelope = { df: env.df, chunks: Math.ceil(bins / CAPTURE_CHUNK), speed: Number.isFinite(env.rpm) ? env.rpm : undefined, defects: env.defects };
  out.push({ topic: `${root}/meta`, payload: JSON.stringify(meta) });
  for (const axis of ["x", "y", "z"] as const) {
    chunks(out, `${root}/wave/${axis}`, c.id, axis, c.waves[axis], c.n, c.waveUnit);
    chunks(out, `${root}/spectrum/${axis}`, c.id, axis, c.spectra[axis], bins, IN_G);
    if (env) chunks(out, `${root}/envelope/${axis}`, c.id, axis, env.spectra[axis], bins, IN_G);
  }
  return out;
}

function chunks(out: CaptureMessage[], topic: string, id: number, axis: string, values: WindowSamples, count: number, unit: SampleScale): void {
  const ug = unit.scale * UG_PER_G;
  const zero = unit.offset;
  for (let offset = 0, k = 0; offset < count; offset += CAPTURE_CHUNK, k++) {
    const end = Math.min(count, offset + CAPTURE_CHUNK);
    const data: number[] = [];
    for (let i = offset; i < end; i++) data.push(Math.round((values[i] - zero) * ug));
    out.push({ topic: `${topic}/${k}`, payload: JSON.stringify({ v: 1, id, axis, offset, data }) });
  }
}
