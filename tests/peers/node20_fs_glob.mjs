// Lets the MCP conformance suite (0.1.x) start on Node.js 20: its bundle imports
// `globSync` from "fs", which Node added in 22, and uses it only in `tier-check`.
// Run it as `node --import ./node20_fs_glob.mjs .../conformance/dist/index.js ...`.
import { register } from "node:module";

const hook = `
const shim = "export * from 'node:fs'; import fs from 'node:fs'; export default fs;" +
  "export function globSync() { throw new Error('fs.globSync needs Node.js 22'); }";
export async function resolve(specifier, context, next) {
  const fromConformance = (context.parentURL || "").includes("/conformance/dist/");
  if (fromConformance && (specifier === "fs" || specifier === "node:fs")) {
    return { url: "data:text/javascript," + encodeURIComponent(shim), shortCircuit: true };
  }
  return next(specifier, context);
}`;

register("data:text/javascript," + encodeURIComponent(hook));
