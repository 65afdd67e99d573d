import test from "ava";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { nodeSpecs } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
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

// 15 entities; with a bearing configured, per axis the envelope RMS and the four defect amplitudes, and the running speed (+16)
for (const [name, extra, count] of [["", {}, 15], [" (bearing diagnostics: envelope and speed entities too)", { machine: { bearing: "6205" } }, 31]] as const) {
  test(`discovery configs are accepted by a schema of Home Assistant's sensor fields, retained, and their templates read the telemetry${name}`, async (t) => {
    const spec = { ...nodeSpecs(undefined, 1, 5)[0], config: { homeassistant: { enabled: true }, ...extra } };
    const rig = await startRig(t, { spec, filter: null });
    await rig.runTo(3000);
    // A subscriber arriving later (Home Assistant restarting) still gets every config: they are retained.
    const observer = await rig.observe("#");
    await until(() => observer.messages.filter((m) => m.topic.startsWith("homeassistant/")).length === count, `${count} discovery configs`);
    await rig.runTo(6000);
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
        if (config.unique_id.endsWith("x_vrms")) t.true(Math.abs((value as number) - 1.8) < 0.09);
        if (config.unique_id.endsWith("x_env_rms") || config.unique_id.endsWith("_speed")) t.is(typeof value, "number", config.unique_id);
      }
    }
    t.truthy(telemetry, "telemetry arrived to check the templates against");
    t.false(validate({ state_topic: "a", device_class: "temperature", unit_of_measurement: "degC" }), "the schema can fail");
  });
}
