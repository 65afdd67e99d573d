/*
 * `cmd/capture`: the raw waveform and amplitude spectrum of the next window,
 * for remote diagnosis, as a set of JSON messages under
 * `<prefix>/<nodeId>/capture/<id>/...`:
 *   meta                      {v, id, ts, odr, n, df, axes, chunk, units}
 *   wave/<axis>/<k>           {v, id, axis, offset, data: [ug, ...]}   samples, gravity included
 *   spectrum/<axis>/<k>       {v, id, axis, offset, data: [ug, ...]}   bins 0..n/2, 0-peak amplitude
 * Values are whole micro-g, enough for the finest part (ADXL355: 3.9 ug/LSB).
 */

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
  waves: { x: Float32Array; y: Float32Array; z: Float32Array };
  spectra: { x: Float32Array; y: Float32Array; z: Float32Array };
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
  out.push({ topic: `${root}/meta`, payload: JSON.stringify(meta) });
  for (const axis of ["x", "y", "z"] as const) {
    chunks(out, `${root}/wave/${axis}`, c.id, axis, c.waves[axis], c.n);
    chunks(out, `${root}/spectrum/${axis}`, c.id, axis, c.spectra[axis], bins);
  }
  return out;
}

function chunks(out: CaptureMessage[], topic: string, id: number, axis: string, values: Float32Array, count: number): void {
  for (let offset = 0, k = 0; offset < count; offset += CAPTURE_CHUNK, k++) {
    const end = Math.min(count, offset + CAPTURE_CHUNK);
    const data: number[] = [];
    for (let i = offset; i < end; i++) data.push(Math.round(values[i] * UG_PER_G));
    out.push({ topic: `${topic}/${k}`, payload: JSON.stringify({ v: 1, id, axis, offset, data }) });
  }
}
