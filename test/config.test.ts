import test from "ava";
import { ConfigError, DEFAULT_CONFIG, resolveConfig, samplerRingMs } from "../firmware/app/config.js";

test("a partial document is merged over the defaults", (t) => {
  const c = resolveConfig({ nodeId: "pump-7", mqtt: { port: 8883, secure: true } });
  t.is(c.nodeId, "pump-7");
  t.is(c.mqtt.port, 8883);
  t.true(c.mqtt.secure);
  t.is(c.mqtt.host, DEFAULT_CONFIG.mqtt.host);
  t.is(c.accelerometer.odr, 3200);
  t.not(c.mqtt, DEFAULT_CONFIG.mqtt, "defaults are copied, never shared");
});

const bad: [unknown, string, RegExp][] = [
  [{ mqtt: { port: 0 } }, "mqtt.port", /out of range 1\.\.65535/],
  [{ mqtt: { port: "1883" } }, "mqtt.port", /expected a number, got "1883"/],
  [{ mqtt: { prefix: "a/#" } }, "mqtt.prefix", /wildcards/],
  [{ accelerometer: { rangeG: 3 } }, "accelerometer.rangeG", /one of 2, 4, 8, 16/],
  [{ window: { n: 1000 } }, "window.n", /power of two/],
  [{ acquisition: { ringMs: 10 } }, "acquisition.ringMs", /out of range 20\.\.5000/],
  [{ acquisition: { ringMs: "1s" } }, "acquisition.ringMs", /expected a number/],
  [{ window: { overlap: 0.8 } }, "window.overlap", /out of range 0\.\.0\.75/],
  [{ window: { overlap: -0.25 } }, "window.overlap", /out of range/],
  [{ window: { overlap: 0.3 } }, "window.overlap", /0\.3 is not a multiple of 0\.125/],
  [{ window: { overlap: "50%" } }, "window.overlap", /expected a number/],
  [{ band: { lowHz: 100, highHz: 50 } }, "band.highHz", /above band.lowHz/],
  [{ nodeId: "bad id!" }, "nodeId", /A-Z/],
  [{ mqtt: { hots: "x" } }, "mqtt.hots", /unknown key/],
  [{ mqtt: 5 }, "mqtt", /expected an object/],
  // Sparkplug 3.0: every client uses clean sessions (a resumed one would not get the host's retained STATE again).
  [{ payload: "sparkplug", mqtt: { cleanSession: false } }, "mqtt.cleanSession", /must be true with payload sparkplug/],
];

for (const [doc, field, message] of bad) {
  test(`rejects ${JSON.stringify(doc)} naming ${field}`, (t) => {
    const error = t.throws(() => resolveConfig(doc), { instanceOf: ConfigError });
    t.is(error!.field, field);
    t.regex(error!.message, message);
  });
}

test("window.overlap: none by default; whole eighths of a window from 0 to 0.75", (t) => {
  t.is(resolveConfig({}).window.overlap, 0);
  for (const overlap of [0, 0.125, 0.25, 0.5, 0.625, 0.75]) t.is(resolveConfig({ window: { n: 256, overlap } }).window.overlap, overlap);
});

test("credentials are optional keys", (t) => {
  const c = resolveConfig({ mqtt: { username: "node", password: "secret" } });
  t.is(c.mqtt.username, "node");
  t.is(c.mqtt.password, "secret");
  t.throws(() => resolveConfig({ mqtt: { password: 5 } }), { message: /mqtt\.password: expected a string/ });
});

test("machine.bearing: a designation from the table, a geometry or defect orders; envelope.bandHz inside half the ODR; each mistake names its field in one line", (t) => {
  t.is(resolveConfig({ machine: { bearing: "6205" } }).machine.bearing, "6205");
  const geometry = { balls: 8, ball_d_mm: 6.75, pitch_d_mm: 28.5, contact_deg: 0 };
  t.deepEqual(resolveConfig({ machine: { bearing: geometry }, envelope: { bandHz: [500, 1400] } }).envelope, { bandHz: [500, 1400] });
  t.is(resolveConfig({}).machine.bearing, undefined);
  // the same bearing's defect orders as a maker's calculator gives them, to three decimals: r = d/D
  const r = 6.75 / 28.5;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const orders = { bpfo: round(4 * (1 - r)), bpfi: round(4 * (1 + r)), bsf: round((28.5 / (2 * 6.75)) * (1 - r * r)), ftf: round(0.5 * (1 - r)) };
  t.deepEqual(resolveConfig({ machine: { bearing: orders } }).machine.bearing, orders);
  const cases: [unknown, RegExp][] = [
    [{ machine: { bearing: "6299" } }, /^config\.machine\.bearing: unknown designation "6299"/],
    [{ machine: { bearing: { ...geometry, balls: 2.5 } } }, /^config\.machine\.bearing\.balls: expected an integer/],
    [{ machine: { bearing: { ...geometry, pitch_d_mm: 5 } } }, /^config\.machine\.bearing\.pitch_d_mm: must be above ball_d_mm/],
    [{ machine: { bearing: { ...geometry, contact_deg: "0" } } }, /^config\.machine\.bearing\.contact_deg: expected a number/],
    [{ machine: { bearing: { ...geometry, width_mm: 15 } } }, /^config\.machine\.bearing\.width_mm: unknown key/],
    [{ machine: { bearing: { ...orders, ftf: 0.6 } } }, /^config\.machine\.bearing\.ftf: expected an order between 0 and 0\.5/],
    [{ machine: { bearing: { ...orders, bpfi: 3 } } }, /^config\.machine\.bearing\.bpfi: must be above bpfo/],
    [{ machine: { bearing: { ...orders, bpfo: 3.3 } } }, /^config\.machine\.bearing\.bpfo: 3\.3 is not a whole number of cage turns/],
    [{ machine: { bearing: { ...orders, bpfi: 6.5 } } }, /^config\.machine\.bearing\.bpfi: 6\.5 does not match 8 balls/],
    [{ machine: { bearing: { bpfo: 3.05, bpfi: 4.95, bsf: 2, ftf: 0.38, balls: 8 } } }, /^config\.machine\.bearing\.balls: unknown key \(allowed here: bpfo, bpfi, bsf, ftf\)/],
    [{ machine: { bearing: { ...orders, bsf: null } } }, /^config\.machine\.bearing\.bsf: expected a number/],
    [{ envelope: { bandHz: [1000, 1700] } }, /^config\.envelope\.bandHz: \[1000, 1700\] must rise and lie inside 0\.\.1600 Hz/],
    [{ envelope: { band: [1, 2] } }, /^config\.envelope\.band: unknown key/],
  ];
  for (const [doc, message] of cases) {
    const error = t.throws(() => resolveConfig(doc), { instanceOf: ConfigError });
    t.regex(error!.message, message);
    t.false(error!.message.includes("\n"), "one line");
  }
});

test("acquisition.ringMs unset takes its mode's default, longer with bearing diagnostics; a value set is kept in either mode (and checked as given)", (t) => {
  const plain = samplerRingMs(resolveConfig({}));
  const bearing = samplerRingMs(resolveConfig({ machine: { bearing: "6205" } }));
  t.true(bearing > plain);
  t.is(samplerRingMs(resolveConfig({ envelope: {} })), bearing, "an envelope band alone turns the diagnostics on too");
  t.is(samplerRingMs(resolveConfig({ machine: { bearing: "6205" }, acquisition: { ringMs: 400 } })), 400);
  t.is(samplerRingMs(resolveConfig({ acquisition: { ringMs: 1200 } })), 1200);
  // A document over a stored base (a command over the build's config): a ring set once stays set.
  const base = resolveConfig({ acquisition: { ringMs: 400 } });
  t.is(samplerRingMs(resolveConfig({ machine: { bearing: "6205" } }, base)), 400);
});
