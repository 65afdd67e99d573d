/*
 * The scenario's top-level `wifi` key (docs/scenarios.md): networks parsed with
 * their defaults, every error naming its place, and no password in any message.
 */
import test from "ava";
import { parseScenario, ScenarioError } from "../tools/scenario/parse.js";
import { nodeSpecs } from "../tools/simulator/simulation.js";

const base = { version: 1, duration_s: 10, machine: {} };
const parse = (wifi: unknown) => parseScenario(JSON.stringify({ ...base, wifi }), "s.json");

test("networks are read with rssi -60 and an open network by default; nodes get them", (t) => {
  const s = parse([{ ssid: "mill", password: "mill-pass-123", rssi: -48 }, { ssid: "guest" }]);
  t.deepEqual(s.wifi, [
    { ssid: "mill", password: "mill-pass-123", rssi: -48 },
    { ssid: "guest", password: "", rssi: -60 },
  ]);
  t.deepEqual(nodeSpecs(s, 1, 1)[0].wifi, s.wifi);
  t.is(parseScenario(JSON.stringify(base)).wifi, undefined, "absent: the simulator's default");
});

test("bad networks are errors naming the place; a password is described, never shown", (t) => {
  const cases: [unknown, RegExp][] = [
    [[], /^s\.json: wifi: expected at least one network/],
    [{}, /^s\.json: wifi: expected an array/],
    [[{ ssid: "" }], /^s\.json: wifi\[0\]\.ssid: expected 1 to 32 bytes/],
    [[{ ssid: "x".repeat(33) }], /^s\.json: wifi\[0\]\.ssid: expected 1 to 32 bytes \(IEEE 802\.11\), got 33$/],
    [[{ ssid: "a" }, { ssid: "a" }], /^s\.json: wifi\[1\]\.ssid: "a" is listed twice$/],
    [[{ ssid: "a", pass: "x" }], /^s\.json: wifi\[0\]\.pass: unknown key/],
    [[{ ssid: "a", rssi: 5 }], /^s\.json: wifi\[0\]\.rssi: 5 is out of range -100\.\.0$/],
    [[{ ssid: "a", password: "sekrit1" }], /^s\.json: wifi\[0\]\.password: expected .* \(got 7 characters\)$/],
    [[{ ssid: "a", password: 12345678 }], /^s\.json: wifi\[0\]\.password: expected a string$/],
  ];
  for (const [wifi, message] of cases) {
    const error = t.throws(() => parse(wifi), { instanceOf: ScenarioError }, JSON.stringify(wifi));
    t.regex(error!.message, message);
    t.false(/sekrit1|12345678/.test(error!.message));
  }
});
