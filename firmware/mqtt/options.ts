/*
 * What the MQTT client is given and what it reports: its options, counters,
 * and the message source it pulls from (the outbox). Shared by the connection
 * (connection.ts) and the session (session.ts); MqttClient (client.ts)
 * re-exports them.
 */
import type { Host, TlsMaterial } from "../host.js";
import type { SkippedPacket } from "./packet.js";

export interface MqttServer {
  host: string;
  port: number;
  secure?: boolean;
  /** Provisioned TLS material, passed to the host's TLS socket (docs/provisioning.md). */
  tls?: TlsMaterial;
}

export interface MqttClientOptions {
  host: Host;
  server: MqttServer;
  /** May be "" in MQTT 5: the server assigns one (kept for later connections). */
  clientId: string;
  /** Seconds; 0 disables keepalive. In MQTT 5 the server's Server Keep Alive replaces it. */
  keepalive: number;
  /** 3.1.1: Clean Session. MQTT 5: Clean Start, and Session Expiry Interval 0 when true. */
  cleanSession: boolean;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5.0. */
  protocolVersion?: 4 | 5;
  /** MQTT 5, with cleanSession false: Session Expiry Interval in seconds (0: the session ends with the connection). Default 0. */
  sessionExpiryS?: number;
  /** MQTT 5: Receive Maximum we announce (QoS 1/2 PUBLISH the server may have unacknowledged towards us). Default 32. */
  receiveMaximum?: number;
  username?: string;
  password?: string;
  /** The last will; a function is called before every CONNECT (Sparkplug's bdSeq changes per connection). */
  will?: Will | (() => Will);
  backoff?: { minMs?: number; maxMs?: number };
  /** QoS 1 messages waiting to be sent (offline or window full); the oldest is dropped beyond. Default 256. */
  maxQueued?: number;
  /** QoS 1 messages sent and not yet acknowledged. Default 32. */
  maxInflight?: number;
  /** TCP connect + CONNACK must finish within this. Default 30 s. */
  connectTimeoutMs?: number;
  /** Wait for PINGRESP; default keepalive/2 clamped to 1..30 s. */
  pingTimeoutMs?: number;
  /**
   * Largest packet accepted from the broker, header included (announced as Maximum Packet Size in MQTT 5).
   * Larger ones are skipped as they stream, never held: logged, counted in stats.skipped, reported by
   * onSkipped; a QoS 1/2 PUBLISH is still acknowledged. Default 8 KiB.
   */
  maxPacketSize?: number;
  /** Jitter source in [0, 1); inject a seeded one for deterministic runs. */
  random?: () => number;
  onConnect?(sessionPresent: boolean): void;
  onDisconnect?(reason: string): void;
  /** A connection attempt failed or a connection was lost, with the reason logged (the setup page shows it). */
  onConnectionError?(reason: string): void;
  onMessage?(topic: string, payload: Uint8Array): void;
  /**
   * MQTT 5: what the log line tells the user to do when the broker turns MQTT 5 down (the node: "set
   * mqtt.version 4"). The client goes on with 3.1.1 by itself until restart either way (docs/mqtt.md).
   */
  versionAdvice?: string;
  /** CONNACK refusal: the 3.1.1 return code or MQTT 5 reason code, and its name. */
  onRefused?(code: number, reason: string): void;
  /** MQTT 5: the broker answered a PUBLISH with a PUBACK reason code >= 0x80; the message is not delivered and not resent. */
  onRejected?(topic: string, code: number, reason: string): void;
  /** A packet from the broker larger than maxPacketSize was skipped (a QoS 1/2 PUBLISH is acknowledged all the same). */
  onSkipped?(packet: SkippedPacket): void;
}

export interface Will {
  topic: string;
  payload: Uint8Array | string;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttStats {
  /** TCP connection attempts. */
  attempts: number;
  /** Accepted CONNACKs. */
  connects: number;
  /** Accepted CONNACKs after a lost connection. */
  reconnects: number;
  /** CONNACK refusals. */
  refused: number;
  /** PUBLISH packets written (first transmissions). */
  sent: number;
  /** PUBLISH packets written again after a reconnect. */
  resent: number;
  /** QoS 1 messages acknowledged by PUBACK. */
  acked: number;
  /** Messages given up: queue overflow, QoS 0 while offline, too large for the server, stop(). */
  dropped: number;
  /** Of `dropped`: larger than the server's Maximum Packet Size (MQTT 5) or otherwise unencodable. */
  tooLarge: number;
  /** MQTT 5: PUBACKs with a reason code >= 0x80 (message not delivered, not resent). */
  rejected: number;
  /** MQTT 5: DISCONNECT packets from the server. */
  serverDisconnects: number;
  /** PUBLISH packets received. */
  received: number;
  /** Packets from the broker larger than maxPacketSize, skipped unread (not in `received`). */
  skipped: number;
  pings: number;
  pingTimeouts: number;
  protocolErrors: number;
}

/**
 * A QoS 1 message pulled from a PublishSource. `onDone(true)`: the client is
 * finished with it: its PUBACK came, or (`onDone(true, true)`) it can never be
 * delivered (an MQTT 5 PUBACK reason code >= 0x80, or larger than the server's
 * Maximum Packet Size; counted in stats.rejected / stats.tooLarge), so the
 * source must not offer it again. `onDone(false)`: not sent for now (stop());
 * offer it again later.
 */
export interface SourcedMessage {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  onDone: (delivered: boolean, rejected?: boolean) => void;
}

/** Where the client pulls QoS 1 messages from when its window has room (the outbox). */
export interface PublishSource {
  /** The next message to send, now in the caller's hands until onDone; undefined when none. */
  next(): SourcedMessage | undefined;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

/** All counters at zero. */
export function newStats(): MqttStats {
  return {
    attempts: 0,
    connects: 0,
    reconnects: 0,
    refused: 0,
    sent: 0,
    resent: 0,
    acked: 0,
    dropped: 0,
    tooLarge: 0,
    rejected: 0,
    serverDisconnects: 0,
    received: 0,
    skipped: 0,
    pings: 0,
    pingTimeouts: 0,
    protocolErrors: 0,
  };
}
