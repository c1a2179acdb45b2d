/* global process, console, URL */
// `npm start` entry point, plain JavaScript so that it runs on any Node.js: it checks what the
// TypeScript start script needs, then runs it in this same process (signals reach it directly).
import { existsSync } from "node:fs";

const major = Number(process.versions.node.split(".")[0]);
const installed = existsSync(new URL("../node_modules/hardhat/package.json", import.meta.url));
if (!installed || major < 22) {
  console.error(
    installed
      ? `npm start needs Node.js 22 or later (this is ${process.version}). npm ci installs it into node_modules: ` +
          "start through npm (npm start), not with node directly."
      : "The dependencies are not installed: run npm ci first (it also installs the Node.js 22 the stack runs on).",
  );
  process.exit(1);
}
await import("./start.ts");
