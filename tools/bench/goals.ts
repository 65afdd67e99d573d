/*
 * The published performance goals (README.md, docs/performance.md), in one place:
 * the bench judges its figures against them, and bench/budgets.json's ceilings for
 * the same quantities must equal them or be tighter (budget-goals.ts, guarded by
 * test/budgets.test.ts).
 */

export const GOALS = Object.freeze({
  /** Our MQTT codec against mqtt-packet, encode and decode: at least this many times as fast. */
  codecRatio: 1.5,
  /** The full feature set, XS computrons per sample per axis (issue 9), on the device path. */
  featuresPerAxisSample: 150,
  /** I2C wire bytes per payload byte: within 5 % of the part's protocol limit. */
  wireOverLimit: 1.05,
  /** Alarm PUBLISH after its window's features, processing time on the desktop, p99 (ms). */
  alarmLatencyP99Ms: 50,
  /** On the ESP32 CPU model (issue 14): alarm PUBLISH after the window's last sample, p99 (ms). */
  latencyFromWindowEndMs: 500,
  /** On the ESP32 CPU model (issue 14): alarm PUBLISH after the window's features are ready, p99 (ms). */
  latencyFromFeaturesMs: 50,
  /** The acquisition never waits for its core longer than this share of the FIFO's fill time. */
  samplerWaitOfFill: 0.5,
  /**
   * Firmware RAM on the ESP32 (issue 9) in the steady monitoring state at n = 4096 with
   * every always-on feature. Transient modes (unprovisioned setup, an OTA update in
   * progress) carry their own budgets, stated in their issues.
   */
  ramBytes: 96 * 1024,
  /**
   * The whole node in setup mode (unprovisioned, sampling, serving its setup page;
   * docs/provisioning.md "Memory"): the same XS heap as the steady state, so the same
   * 96 KiB (the device has one heap, and an unprovisioned node keeps its window buffers).
   */
  setupRamBytes: 96 * 1024,
  /** XS memory an update in progress holds above the node's steady state (issue 17): download, verifier, slot writer. */
  otaUpdateRamBytes: 16 * 1024,
  /** RAM the bearing diagnostics (envelope, speed, defect bands) add to a node at n = 4096 (issue 19). */
  envelopeRamBytes: 8 * 1024,
  /** Outbox drain after an hour offline, messages per second. */
  outboxMsgPerS: 1000,
  /** Simulated nodes in real time with every message delivered. */
  fleetNodes: 2000,
  /** OPC UA gateway at 2,000 nodes and 1 Hz (issue 20): the gateway's MQTT receive of a window to an OPC UA client's data change notification, p99 (ms). */
  opcuaLatencyP99Ms: 100,
});
