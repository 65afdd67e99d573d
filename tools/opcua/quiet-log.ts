/*
 * node-opcua prints its warnings on stdout, some while it loads (a note about
 * RSA PKCS#1 v1.5 on Node 20, which Basic256Sha256 does not use). stdout is
 * the simulator's message log (`sim --json`), so the stack's lines go to
 * stderr. Imported before node-opcua by every module that loads it.
 */
import { setDebugLogger, setErrorLogger, setWarningLogger } from "node-opcua-debug";

/** node-opcua's loggers pass a context object first; the text is in the strings. */
const text = (args: unknown[]) => args.filter((a) => typeof a !== "object" || a === null).map(String).join(" ");
const toStderr = (...args: unknown[]) => void process.stderr.write(text(args) + "\n");
/** Warnings that say nothing to a gateway user (the stack's own notes about its environment). */
const SILENT = /NODE-OPCUA-W27|security-revert=CVE-2023-46809/;

setWarningLogger((...args: unknown[]) => {
  if (!SILENT.test(text(args))) toStderr(...args);
});
setErrorLogger(toStderr);
setDebugLogger(() => {});
