/*
 * What one release run of the lin build published, read from the broker: windows
 * (telemetry with vib), samples lost, overrun faults and the boot counter.
 */
export interface RunFigures {
  sampler: "worker" | "none";
  cpuBoundBeside: number;
  seconds: number;
  /** Telemetry messages with a vibration window. */
  windows: number;
  /** Windows per second of the part's rate: n / odr per window. */
  expectedWindows: number;
  samplesLost: number;
  windowsWithLoss: number;
  maxLostInWindow: number;
  overrunFaults: number;
  boot: number;
}

interface Telemetry {
  boot?: number;
  vib?: { lost?: number; n?: number; odr?: number };
  faults?: { reason?: string }[];
}

export class TelemetryTally {
  #nodeId = "";
  #vib: NonNullable<Telemetry["vib"]>[] = [];
  #overruns = 0;
  #boot = 0;

  start(nodeId: string): void {
    this.#nodeId = nodeId;
    this.#vib = [];
    this.#overruns = 0;
    this.#boot = 0;
  }

  add(topic: string, payload: Uint8Array): void {
    if (!topic.endsWith(`/${this.#nodeId}/telemetry`) && !topic.endsWith(`/${this.#nodeId}/status`)) return;
    let m: Telemetry;
    try {
      m = JSON.parse(new TextDecoder().decode(payload)) as Telemetry;
    } catch {
      return; // the offline will, or not JSON
    }
    if (typeof m.boot === "number") this.#boot = m.boot;
    if (!topic.endsWith("/telemetry")) return;
    if (m.vib) this.#vib.push(m.vib);
    if (m.faults?.some((f) => f.reason === "overrun")) this.#overruns++;
  }

  finish(run: Pick<RunFigures, "sampler" | "cpuBoundBeside" | "seconds">): RunFigures {
    const lost = this.#vib.map((v) => v.lost ?? 0);
    const first = this.#vib[0];
    return {
      ...run,
      windows: this.#vib.length,
      expectedWindows: first?.n && first.odr ? Math.floor((run.seconds * first.odr) / first.n) : 0,
      samplesLost: lost.reduce((a, b) => a + b, 0),
      windowsWithLoss: lost.filter((l) => l > 0).length,
      maxLostInWindow: Math.max(0, ...lost),
      overrunFaults: this.#overruns,
      boot: this.#boot,
    };
  }
}
