/* Validates published payloads against the JSON Schema files in schemas/ (ajv). */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";

const dir = fileURLToPath(new URL("../../../schemas/", import.meta.url));
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
for (const file of fs.readdirSync(dir)) if (file.endsWith(".json")) ajv.addSchema(JSON.parse(fs.readFileSync(dir + file, "utf8")), file);

/** Returns undefined when valid, else a readable list of errors. */
export function schemaErrors(kind: "telemetry" | "alarm" | "status", payload: unknown): string | undefined {
  const validate = ajv.getSchema(`${kind}.v1.json`)!;
  return validate(payload) ? undefined : ajv.errorsText(validate.errors);
}

/** The schema for a topic's last level (`.../telemetry` -> telemetry), or undefined. */
export function kindOf(topic: string): "telemetry" | "alarm" | "status" | undefined {
  const last = topic.split("/").at(-1);
  return last === "telemetry" || last === "alarm" || last === "status" ? last : undefined;
}
