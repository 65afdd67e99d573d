/*
 * What both halves of the MQTT client share: the Host, the options, the
 * protocol version, the counters, and the rules for logging and for calling
 * the application back (its exceptions must not break the session).
 */
import type { Host, LogLevel } from "../host.js";
import { MQTT_3_1_1, MQTT_5 } from "./packet.js";
import { newStats, type MqttClientOptions, type MqttStats } from "./options.js";

const LOG_PREFIX = "mqtt: ";

export class ClientContext {
  readonly host: Host;
  readonly options: MqttClientOptions;
  /** The version of this connection's CONNECT: the configured one, or 3.1.1 once a broker turned MQTT 5 down (version-fallback.ts). */
  version: 4 | 5;
  readonly stats: MqttStats = newStats();

  constructor(options: MqttClientOptions) {
    this.host = options.host;
    this.options = options;
    this.version = options.protocolVersion === MQTT_5 ? MQTT_5 : MQTT_3_1_1;
  }

  log(level: LogLevel, message: string): void {
    this.host.log(level, LOG_PREFIX + message);
  }

  /** Runs an application callback; its exceptions are logged, never thrown into the client. */
  callback(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log("error", `callback failed: ${errorText(e)}`);
    }
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
