/*
 * What a firmware host's MQTT connections carry, per connection: the packets
 * the node writes, parsed by mqtt-packet (an independent implementation; it
 * takes the protocol version from the CONNECT), and the raw bytes it reads.
 * Wrap before the node connects:
 *
 *   const wire = tapConnections(node.host.io);   // wire[i].written, wire[i].read
 *
 * Given a clock (`now`), each packet is also stamped with its time when the node
 * wrote it (`writtenAt`, parallel to `written`): inside a node's callback, its
 * task's time, the work charged so far included; and the packets the node read
 * are parsed too (`received`, stamped when read: `receivedAt`).
 */
import * as mqttPacket from "mqtt-packet";
import type { TCPOptions, TCPSocket } from "../../firmware/host.js";

export interface TappedConnection {
  written: mqttPacket.Packet[];
  /** When each packet of `written` was written (only with a clock). */
  writtenAt: number[];
  read: number[];
  /** The packets the node read, and when (only with a clock). */
  received: mqttPacket.Packet[];
  receivedAt: number[];
}

export function tapConnections(io: { tcp(options: TCPOptions): TCPSocket }, now?: () => number): TappedConnection[] {
  const connections: TappedConnection[] = [];
  const tcp = io.tcp.bind(io);
  io.tcp = (options) => {
    const tapped: TappedConnection = { written: [], writtenAt: [], read: [], received: [], receivedAt: [] };
    connections.push(tapped);
    const parser = mqttPacket.parser();
    parser.on("packet", (p) => {
      tapped.written.push(p);
      if (now) tapped.writtenAt.push(now());
    });
    parser.on("error", () => {});
    // The broker's packets, in the version the node's CONNECT asked for (parsed once it is written).
    let incoming: ReturnType<typeof mqttPacket.parser> | undefined;
    const parseRead = (bytes: Uint8Array) => {
      if (!now) return;
      if (!incoming) {
        const connect = tapped.written.find((p) => p.cmd === "connect") as mqttPacket.IConnectPacket | undefined;
        incoming = mqttPacket.parser({ protocolVersion: connect?.protocolVersion ?? 4 });
        incoming.on("packet", (p) => {
          tapped.received.push(p);
          tapped.receivedAt.push(now());
        });
        incoming.on("error", () => {});
      }
      incoming.parse(Buffer.from(bytes));
    };
    const socket = tcp(options);
    const write = socket.write.bind(socket);
    const read = socket.read.bind(socket);
    socket.write = (data) => {
      parser.parse(Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer)));
      return write(data);
    };
    socket.read = (byteLength) => {
      const bytes = read(byteLength);
      for (const b of new Uint8Array(bytes)) tapped.read.push(b);
      parseRead(new Uint8Array(bytes));
      return bytes;
    };
    return socket;
  };
  return connections;
}
