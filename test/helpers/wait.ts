/**
 * Real ms a test waits for an event that is sure to come (a reply from a broker on loopback, a
 * message reaching a subscriber): a ceiling that catches a hang, never a pace, so generous that a
 * busy machine does not reach it. Pass it as drive()'s maxWaitMs too, and leave replies the test
 * withholds out of `busy`.
 */
export const EVENT_CEILING_MS = 30_000;

/**
 * Polls `predicate` every few ms of real time; rejects with `what` after `timeoutMs`. The wait is
 * for an event: the ceiling only catches a hang, so it is generous (a busy machine must never
 * reach it; npm test has no timed pass/fail, docs/performance.md).
 */
export async function until(predicate: () => boolean, what: string, timeoutMs = EVENT_CEILING_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function json(payload: Uint8Array): any {
  return JSON.parse(new TextDecoder().decode(payload));
}
