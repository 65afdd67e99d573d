/*
 * `sensor-node ota keygen DIR` and `sensor-node ota pack ... OUT` (docs/ota.md, docs/cli.md).
 * Bad input is one line naming the option or file, exit 2 (UsageError).
 */
import fs from "node:fs";
import { helpText, parseArgs, readOptionFile, UsageError, type FlagSpec } from "../cli/args.js";
import { isVersion, MAX_COUNTER, VERSION_FIELD_BYTES, type Target } from "../../firmware/ota/header.js";
import crypto from "node:crypto";
import { generateKeys, loadPrivateKey, loadPublicKeys, otaKeysValue } from "./keys.js";
import { MAX_TRUSTED_KEYS } from "../../firmware/ota/trusted-keys.js";
import { packPackage, simBundle } from "./pack.js";
import { deviceSlotBytes, PARTITIONS_CSV } from "./partitions.js";
import path from "node:path";

export const OTA_USAGE = `Usage: sensor-node ota keygen DIR
       sensor-node ota pack --target sim|esp32 --version V --key FILE [--counter N] [--bin FILE] [--trust FILES] OUT
       sensor-node ota push --broker URL --image FILE (--node ID ... | --all) [--prefix P] [--serve HOST:PORT]
                            [--canary N] [--batch N|P%] [--confirm-timeout S]

  keygen  writes DIR/ota-private.pem (PKCS#8, mode 0600: keep it off the nodes) and DIR/ota-public.pem (SPKI)
  pack    signs an update package (docs/ota.md); esp32 packs --bin (mcconfig's .bin), sim packs
          --bin or, without it, the firmware bundled for the simulator
  push    serves a package over HTTP and updates nodes through cmd/ota: a canary, then batches;
          halts at the first node that refuses, fails, rolls back or does not confirm in time`;

const PACK_FLAGS: Record<string, FlagSpec> = {
  target: { kind: "string", help: "esp32 or sim" },
  version: { kind: "string", help: `firmware version, e.g. 1.2.3 or 1.2.3-rc.1 (at most ${VERSION_FIELD_BYTES} characters)` },
  key: { kind: "string", help: "the private key (ota-private.pem from ota keygen)" },
  counter: { kind: "number", help: "security counter (default 0): nodes refuse a package with a lower one than they run", min: 0, max: MAX_COUNTER, integer: true },
  bin: { kind: "string", help: "the payload: mcconfig's .bin for esp32 (required there)" },
  trust: { kind: "string", help: "sim: public keys (PEM files, comma-separated) the new image trusts for later updates (default: the signing key's)" },
  help: { kind: "boolean", help: "show this help" },
};

type Out = (line: string) => void;

export async function otaCommand(argv: string[], out: Out = (l) => process.stdout.write(l + "\n")): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "keygen") return keygen(rest, out);
  if (sub === "pack") return await pack(rest, out);
  if (sub === "push") return await (await import("./push-command.js")).pushCommand(rest, out);
  if (sub === "--help" || sub === "help") {
    out(OTA_USAGE);
    return 0;
  }
  throw new UsageError(`sensor-node ota: ${sub === undefined ? "missing subcommand" : `unknown subcommand ${JSON.stringify(sub)}`} (keygen or pack; sensor-node ota --help)`);
}

function keygen(argv: string[], out: Out): number {
  const { positional } = parseArgs("sensor-node ota keygen", argv, {}, 1);
  if (!positional.length) throw new UsageError("sensor-node ota keygen: missing DIR (where ota-private.pem and ota-public.pem go)");
  const { privateFile, publicFile } = generateKeys(positional[0]);
  out(`${privateFile}: private key (mode 0600; signs packages: keep it off the nodes and out of version control)`);
  out(`${publicFile}: public key (build it into the image: sensor-node build esp32 otaKey=${publicFile})`);
  return 0;
}

/** The keys a sim image trusts: --trust's files, or the public half of the signing key (the same key signs the next update). */
function imageKeys(cmd: string, key: crypto.KeyObject, trust: string | undefined): string {
  if (trust === undefined) return otaKeysValue([crypto.createPublicKey(key).export({ type: "spki", format: "der" })]);
  const keys = trust.split(",").filter(Boolean).flatMap((file) => loadPublicKeys(`${cmd}: --trust`, file));
  if (!keys.length || keys.length > MAX_TRUSTED_KEYS) throw new UsageError(`${cmd}: --trust names ${keys.length} keys; an image trusts 1 to ${MAX_TRUSTED_KEYS}`);
  return otaKeysValue(keys);
}

function readBin(file: string): Uint8Array {
  return readOptionFile("sensor-node ota pack: --bin", file, true);
}

async function pack(argv: string[], out: Out): Promise<number> {
  const cmd = "sensor-node ota pack";
  const { flags, positional } = parseArgs(cmd, argv, PACK_FLAGS, 1);
  if (flags.help) {
    out(helpText(`Usage: ${cmd} --target sim|esp32 --version V --key FILE [--counter N] [--bin FILE] [--trust FILES] OUT`, PACK_FLAGS).trimEnd());
    return 0;
  }
  const target = flags.target;
  if (target !== "esp32" && target !== "sim") throw new UsageError(`${cmd}: --target expects esp32 or sim, got ${target === undefined ? "nothing" : JSON.stringify(target)}`);
  const version = flags.version;
  if (typeof version !== "string") throw new UsageError(`${cmd}: --version is needed (e.g. 1.2.3)`);
  if (!isVersion(version)) throw new UsageError(`${cmd}: --version ${JSON.stringify(version)} is not a version (1.2.3 or 1.2.3-rc.1, at most ${VERSION_FIELD_BYTES} characters)`);
  if (typeof flags.key !== "string") throw new UsageError(`${cmd}: --key is needed (ota-private.pem from sensor-node ota keygen)`);
  if (!positional.length) throw new UsageError(`${cmd}: missing OUT (the package file to write)`);
  if (target === "esp32" && typeof flags.bin !== "string") throw new UsageError(`${cmd}: --bin is needed for esp32 (the .bin mcconfig built)`);
  const key = loadPrivateKey(`${cmd}: --key`, flags.key);
  const slot = deviceSlotBytes();
  if (target === "esp32" && flags.trust !== undefined) throw new UsageError(`${cmd}: --trust is for sim; an esp32 image trusts the keys it was built with (sensor-node build esp32 otaKey=...)`);
  const payload = typeof flags.bin === "string" ? readBin(flags.bin) : await simBundle({ version, otaKeys: imageKeys(cmd, key, flags.trust as string | undefined) });
  if (payload.length > slot) {
    const what = typeof flags.bin === "string" ? `--bin ${flags.bin}` : "the simulator bundle";
    throw new UsageError(`${cmd}: ${what} is ${payload.length} bytes, larger than an OTA slot (${slot} bytes, ${path.relative(process.cwd(), PARTITIONS_CSV)})`);
  }
  const pkg = packPackage({ target: target as Target, version, counter: (flags.counter as number | undefined) ?? 0, payload, key });
  try {
    fs.writeFileSync(positional[0], pkg);
  } catch (error) {
    throw new UsageError(`${cmd}: cannot write ${positional[0]}: ${(error as NodeJS.ErrnoException).code ?? "unwritable"}`);
  }
  const sha256 = crypto.createHash("sha256").update(payload).digest("hex");
  out(`${positional[0]}: ${target} ${version}, counter ${(flags.counter as number | undefined) ?? 0}, payload ${payload.length} bytes (slot ${slot}), ${pkg.length} bytes, payload sha256 ${sha256}`);
  return 0;
}
