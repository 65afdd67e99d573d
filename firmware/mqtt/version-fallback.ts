/*
 * Which protocol version the next CONNECT uses, for a client configured for
 * MQTT 5 that may meet a broker speaking only 3.1.1 (docs/mqtt.md, "MQTT 5
 * against a 3.1.1 broker"). Such a broker either answers the MQTT 5 CONNECT
 * with its own 2-byte CONNACK, return code 1 (3.1.1 [MQTT-3.1.2-2]; aedes
 * does), or closes the connection without a word. A 5.0 broker that will not
 * take 5.0 says 0x84 Unsupported Protocol Version.
 *
 *   - an answer in 3.1.1, or 0x84: settled at once, 3.1.1 until restart;
 *   - MQTT 5 CONNECTs closed unanswered, UNANSWERED_BEFORE_PROBE in a row,
 *     while MQTT 5 has not worked since start: the next CONNECT tries 3.1.1.
 *     A CONNACK to it (accepted or refused) settles 3.1.1; closed unanswered
 *     too, the silence is not about the version: back to MQTT 5, count anew.
 *
 * Once MQTT 5 has worked, a broker that closes connections is having an
 * outage (a load balancer without a backend looks the same), never a reason
 * to change the version.
 */
import { MQTT_3_1_1, MQTT_5 } from "./packet.js";

const UNANSWERED_BEFORE_PROBE = 2;

export class VersionFallback {
  /** The version the next CONNECT uses. */
  version: 4 | 5;
  readonly #configured: 4 | 5;
  #settled = false;
  #probing = false;
  #unanswered = 0;
  #v5Worked = false;

  constructor(configured: 4 | 5) {
    this.#configured = this.version = configured;
  }

  /** Configured for MQTT 5 and now on 3.1.1 for good. */
  get fellBack(): boolean {
    return this.#settled;
  }

  /** A CONNACK in the version of our CONNECT. Returns a log line when it settles the fallback. */
  answered(): string | undefined {
    if (this.#probing) {
      this.#probing = false;
      this.#settled = true;
      return `the broker answered MQTT 3.1.1 after closing ${UNANSWERED_BEFORE_PROBE} MQTT 5 CONNECTs unanswered: it does not support MQTT 5; staying on MQTT 3.1.1 until restart`;
    }
    if (this.version === MQTT_5) {
      this.#v5Worked = true;
      this.#unanswered = 0;
    }
    return undefined;
  }

  /** The broker answered our MQTT 5 CONNECT as a 3.1.1 broker, or with 0x84: 3.1.1 from now on. */
  refusedV5(): void {
    this.#settled = true;
    this.#probing = false;
    this.version = MQTT_3_1_1;
  }

  /** The connection closed after our CONNECT with nothing from the broker. Returns a log line when the next version changes. */
  unanswered(): string | undefined {
    if (this.#configured !== MQTT_5 || this.#settled) return undefined;
    if (this.#probing) {
      this.#probing = false;
      this.#unanswered = 0;
      this.version = MQTT_5;
      return "MQTT 3.1.1 was closed unanswered too: not a version problem; back to MQTT 5";
    }
    if (this.#v5Worked || ++this.#unanswered < UNANSWERED_BEFORE_PROBE) return undefined;
    this.#probing = true;
    this.version = MQTT_3_1_1;
    return `the broker closed ${UNANSWERED_BEFORE_PROBE} MQTT 5 CONNECTs without an answer: trying MQTT 3.1.1`;
  }
}
