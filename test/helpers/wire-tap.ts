/*
 * What a firmware host's MQTT connections carry, per connection: the packets
 * the node writes, parsed by mqtt-packet (an independent implementation; it
 * takes the protocol version from the CONNECT), and the raw bytes it reads.
 * Wrap before the node connects:
 *
 *   const wire = tapConnections(node.host.io);   // wire[i].written, wire[i].read
 */
import * as mqttPacket from "mqtt-packet";
import type { TCPOptions, TCPSocket } from "../../firmware/host.js";

export interface TappedConnection {
  written: mqttPacket.Packet[];
  read: number[];
}

export function tapConnections(io: { tcp(options: TCPOptions): TCPSocket }): TappedConnection[] {
  const connections: TappedConnection[] = [];
  const tcp = io.tcp.bind(io);
  io.tcp = (options) => {
    const tapped: TappedConnection = { written: [], read: [] };
    connections.push(tapped);
    const parser = mqttPacket.parser();
    parser.on("packet", (p) => tapped.written.push(p));
    parser.on("error", () => {});
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
      return bytes;
    };
    return socket;
  };
  return connections;
}
