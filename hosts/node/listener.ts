/*
 * The firmware's Listener (ECMA-419 shape, firmware/host.ts) on node:net: a
 * server on a loopback address; each connection waits in a queue until the
 * firmware takes it with read(callbacks). The port the firmware asks for (80
 * for the setup page) is mapped by the host to a port of the desktop's.
 */
import * as net from "node:net";
import type { Listener, ListenerOptions, SocketCallbacks, TCPSocket } from "../../firmware/host.js";
import { adoptSocket, type Deliver } from "./tcp.js";

export interface ListenSettings {
  /** Address to bind (default 127.0.0.1: the simulator's setup page is for this machine only). */
  address?: string;
  /** The desktop port for a port the firmware asks for (0: any free one). */
  port(asked: number): number;
  /** Bound (the real port), or failed to bind. */
  onListening?(asked: number, port: number): void;
  onError?(asked: number, message: string): void;
}

/** `track` is told of each accepted socket (the host kills them on a power cut) and returns what forgets it once it is dead. */
export function createListener(options: ListenerOptions, settings: ListenSettings, deliver: Deliver | undefined, track: (socket: TCPSocket, kill: () => void) => () => void): Listener {
  const pending: net.Socket[] = [];
  const wanted = settings.port(options.port);
  let port = wanted;
  let closed = false;
  const server = net.createServer((socket) => {
    if (closed) return void socket.destroy();
    socket.on("error", () => {}); // until the firmware takes it; adoptSocket reports errors after
    pending.push(socket);
    const announce = () => pending.length > 0 && options.onReadable(pending.length);
    if (deliver) deliver(announce);
    else announce();
  });
  server.on("error", (e) => settings.onError?.(options.port, e.message));
  server.listen(wanted, settings.address ?? "127.0.0.1", () => {
    port = (server.address() as net.AddressInfo).port;
    settings.onListening?.(options.port, port);
  });
  return {
    get port() {
      return port;
    },
    read(callbacks: SocketCallbacks): TCPSocket | undefined {
      const socket = pending.shift();
      if (!socket) return undefined;
      let kill: () => void = () => socket.destroy();
      let forget = () => {};
      const wrapped = adoptSocket(socket, { ...callbacks, onError: (message) => (forget(), callbacks.onError?.(message)) }, { onKill: (k) => (kill = k), deliver });
      forget = track(wrapped, kill);
      const close = wrapped.close.bind(wrapped);
      wrapped.close = () => (forget(), close());
      return wrapped;
    },
    close() {
      closed = true;
      server.close();
      for (const s of pending.splice(0)) s.destroy();
    },
  };
}
