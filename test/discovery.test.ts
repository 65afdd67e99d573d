import test from "ava";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { startAedes } from "../sim/tools/broker.js";
import { Observer, SimNode, nodeSpecs } from "../sim/tools/simulation.js";
import { drive, waitIdle } from "../sim/tools/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { until } from "./helpers/wait.js";

const schemaFile = fileURLToPath(new URL("../../test/fixtures/homeassistant-sensor.schema.json", import.meta.url));
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));

/** Evaluates the small subset of Jinja our templates use: `{{ value_json.a.b if value_json.a is defined else None }}`. */
function render(template: string, value: any): unknown {
  const m = /^\{\{ value_json\.([\w.]+)(?: if value_json\.(\w+) is defined else None)? \}\}$/.exec(template);
  if (!m) throw new Error(`unexpected template ${template}`);
  if (m[2] && value[m[2]] === undefined) return null;
  return m[1].split(".").reduce((o, k) => (o == null ? undefined : o[k]), value);
}

test("discovery configs are accepted by a schema of Home Assistant's sensor fields, retained, and their templates read the telemetry", async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const spec = { ...nodeSpecs(undefined, 1, 5)[0], config: { homeassistant: { enabled: true } } };
  const node = new SimNode({ clock, spec, broker: { host: broker.host, port: broker.port, secure: false } });
  t.teardown(() => node.stop());
  node.start();
  await drive({ clock, until: 3000, speed: "max", busy: () => node.busy });
  await waitIdle(() => node.busy, 2000);
  // A subscriber arriving later (Home Assistant restarting) still gets every config: they are retained.
  const observer = await Observer.connect(broker.url, "#", () => clock.wall()!);
  t.teardown(() => observer.close());
  await until(() => observer.messages.filter((m) => m.topic.startsWith("homeassistant/")).length === 15, "15 discovery configs");
  await drive({ clock, until: 6000, speed: "max", busy: () => node.busy });
  await until(() => observer.messages.some((m) => m.topic.endsWith("/telemetry")), "telemetry");
  const configs = observer.messages.filter((m) => m.topic.startsWith("homeassistant/"));
  const telemetry = JSON.parse(new TextDecoder().decode(observer.messages.filter((m) => m.topic.endsWith("/telemetry")).at(-1)?.payload ?? new Uint8Array()) || "null");
  const ids = new Set<string>();
  for (const m of configs) {
    t.true(m.retain, m.topic);
    t.regex(m.topic, /^homeassistant\/sensor\/node-1\/[a-z0-9_]+\/config$/);
    const config = JSON.parse(new TextDecoder().decode(m.payload));
    t.true(validate(config), `${m.topic}: ${JSON.stringify(validate.errors)}`);
    t.is(config.state_topic, "sensors/node-1/telemetry");
    t.is(config.availability_topic, "sensors/node-1/status");
    t.false(ids.has(config.unique_id), "unique ids");
    ids.add(config.unique_id);
    if (telemetry) {
      const value = render(config.value_template, telemetry);
      t.true(value === null || typeof value === "number" || typeof value === "string", `${config.unique_id} -> ${value}`);
      if (config.unique_id.endsWith("x_vrms")) t.true(Math.abs((value as number) - 4.0) < 0.2);
    }
  }
  t.truthy(telemetry, "telemetry arrived to check the templates against");
  t.false(validate({ state_topic: "a", device_class: "temperature", unit_of_measurement: "degC" }), "the schema can fail");
});
