/*
 * Which protocol version the next CONNECT uses, for a client configured for
 * MQTT 5 that may meet a broker speaking only 3.1.1 (docs/mqtt.md, "MQTT 5
 * against a 3.1.1 broker"). Such a broker either answers the MQTT 5 CONNECT
 * with its own 2-byte CONNACK, return code 1 (3.1.1 [MQTT-3.1.2-2]; aedes
 * does), or closes the connection without a word (or never answers). A 5.0
 * broker that will not take 5.0 says 0x84 Unsupported Protocol Version.
 *
 *   - an answer in 3.1.1, or 0x84: settled at once, 3.1.1 until restart;
 *   - MQTT 5 CONNECTs met with silence (closed unanswered, or no CONNACK
 *     within the connect timeout), UNANSWERED_BEFORE_PROBE in a row,
 *     while no MQTT 5 CONNECT has been answered since start: the next
 *     CONNECT tries 3.1.1. A CONNACK to it (accepted or refused) settles
 *     3.1.1; met with silence too, the silence is not about the version:
 *     back to MQTT 5, count anew.
 *
 * Once the broker has answered MQTT 5, connections it closes are an outage
 * (a load balancer without a backend looks the same), never a reason to
 * change the version.
 */
import type { ClientContext } from "./context.js";
import { MQTT_3_1_1, MQTT_5 } from "./packet.js";

const UNANSWERED_BEFORE_PROBE = 2;

/** Made only for a client configured for MQTT 5 (a 3.1.1 client has nothing to fall back from). */
export class VersionFallback {
  /** The version the next CONNECT uses. */
  version: 4 | 5 = MQTT_5;
  readonly #c: ClientContext;
  #settled = false;
  #probing = false;
  #unanswered = 0;
  #v5Answered = false;

  constructor(context: ClientContext) {
    this.#c = context;
  }

  /** Now on 3.1.1 for good. */
  get fellBack(): boolean {
    return this.#settled;
  }

  /** A CONNACK in the version of our CONNECT. */
  answered(): void {
    if (this.#probing) return this.#settle(`it left ${UNANSWERED_BEFORE_PROBE} MQTT 5 CONNECTs unanswered, then answered MQTT 3.1.1`);
    if (this.version === MQTT_5) {
      this.#v5Answered = true;
      this.#unanswered = 0;
    }
  }

  /** The broker turned our MQTT 5 CONNECT down (`how`: a 3.1.1 CONNACK, or 0x84): 3.1.1 from now on. */
  refused(how: string): void {
    this.#settle(how);
  }

  /** Our CONNECT got nothing back: the connection closed, or no CONNACK came in time. */
  unanswered(): void {
    if (this.#settled) return;
    if (this.#probing) {
      this.#probing = false;
      this.#unanswered = 0;
      this.version = MQTT_5;
      return this.#c.log("warn", "MQTT 3.1.1 got no answer either: not a version problem; back to MQTT 5");
    }
    if (this.#v5Answered || ++this.#unanswered < UNANSWERED_BEFORE_PROBE) return;
    this.#probing = true;
    this.version = MQTT_3_1_1;
    this.#c.log("warn", `the broker left ${UNANSWERED_BEFORE_PROBE} MQTT 5 CONNECTs unanswered: trying MQTT 3.1.1`);
  }

  /** The one clear line (with the application's advice: the node names its configuration key), then what the client does about it. */
  #settle(how: string): void {
    this.#settled = true;
    this.#probing = false;
    this.version = MQTT_3_1_1;
    const c = this.#c;
    const advice = c.options.versionAdvice;
    c.log("warn", `the broker does not support MQTT 5${advice ? `; ${advice}` : ""}`);
    c.log("info", `falling back to MQTT 3.1.1 until restart (${how})`);
  }
}
