/*
 * XS cases for firmware/provision: the HTTP reader on odd requests fed in
 * pieces, the form checks on bodies with real certificates, and the setup
 * server answering requests over a stub listener (what it holds idle, and
 * whether serving grows the heap). The same table runs in Node (parity).
 */
import type { Host, ListenerOptions } from "../../firmware/host.js";
import { RequestReader, isHttpError } from "../../firmware/provision/http.js";
import { checkForm } from "../../firmware/provision/settings.js";
import { SetupApi, type SetupTarget } from "../../firmware/provision/setup-api.js";
import { SetupServer } from "../../firmware/provision/setup-server.js";
import { MemoryStorage } from "../../sim/storage.js";
import { VirtualClock } from "../../sim/clock.js";
import { serveCases } from "../../tools/xs/cases/runtime.js";
import { bytesOf, StubListener } from "../../tools/xs/cases/stub-listener.js";

function stubHost(clock: VirtualClock, listeners: StubListener[]): Host {
  return {
    io: {
      SMBus: undefined as never,
      tcp: () => {
        throw new Error("no sockets here");
      },
      listen: (options: ListenerOptions) => {
        const l = new StubListener(options);
        listeners.push(l);
        return l;
      },
    },
    timers: clock,
    clock,
    storage: new MemoryStorage(),
    hardwareId: "02:00:00:00:00:01",
    log: () => {},
    restart: () => {},
  };
}

const TARGET: SetupTarget = {
  provisioned: false,
  setupKey: "ABCD-EFGH-JKLM",
  now: () => 0,
  state: () => ({ v: 1, state: "unprovisioned", nodeId: "node-020000000001" }),
  settings: () => ({ v: 1, provisioned: false }),
  provision: () => ({ restartInMs: 1000 }),
  factoryReset: () => 1000,
};

/** The server under measurement, between commands (test code: the firmware keeps no module state). */
const held: { server?: SetupServer; listeners: StubListener[]; clock?: VirtualClock } = { listeners: [] };

function gc(): void {
  const g = globalThis as unknown as { gc?: () => void };
  if (typeof g.gc === "function") g.gc();
}

export const cases = {
  /** Each request fed whole and in pieces of `split` bytes: what the reader makes of it. */
  parse(arg: { requests: string[]; splits: number[] }): unknown {
    return arg.requests.map((request) =>
      arg.splits.map((split) => {
        const reader = new RequestReader();
        const bytes = bytesOf(request);
        for (let i = 0; i < bytes.length; i += split) {
          const r = reader.push(bytes.subarray(i, i + split));
          if (!r) continue;
          return isHttpError(r) ? `${r.status} ${r.code}` : `${r.method} ${r.path} ${r.authorization ?? "-"} ${r.contentType ?? "-"} ${r.body ? r.body.length : 0}`;
        }
        return "incomplete";
      }),
    );
  },
  /** checkForm on each body (over nothing stored, the defaults as the build configuration). */
  form(arg: { bodies: unknown[]; now: number }): unknown {
    return arg.bodies.map((body) => {
      const r = checkForm(body, {}, { config: {}, now: arg.now, wifi: false });
      return "errors" in r ? r.errors.map((e) => `${e.field} ${e.code}`) : Object.keys(r.settings).sort();
    });
  },
  gc(): null {
    gc();
    return null;
  },
  /** Opens the setup server on the stub listener. */
  open(): null {
    held.clock = new VirtualClock({ epochMs: 0 });
    held.server = new SetupServer(stubHost(held.clock, held.listeners), (request) => new SetupApi(TARGET).handle(request));
    held.server.start(80);
    gc();
    return null;
  },
  /** Sends each request on a connection of its own (the answers are kept for `answers`). */
  serve(arg: { requests: string[] }): null {
    held.listeners[0].deliver(arg.requests);
    return null;
  },
  /** The answers so far, as status line and body length (then forgotten). */
  answers(): unknown {
    const out = held.listeners[0].takeAnswers();
    // The virtual clock drops cleared timers lazily: run it past the connections' deadlines so they go.
    held.clock!.runUntil(held.clock!.now() + 11_000);
    gc();
    return out;
  },
};

serveCases(cases);
