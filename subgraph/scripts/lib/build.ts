/**
 * Builds the subgraph for one deployment: ABIs from the Hardhat artifacts, the manifest from the
 * deployments file, `graph codegen` and `graph build`. Used by the npm scripts, the tests and the
 * benchmark, so that all of them index exactly what `npm run build -w subgraph` produces.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Deployment } from "@d-cloudx/sdk";
import {
  BOOKING_STATUS_NAMES,
  REFUND_REASON_NAMES,
  RENEWAL_SKIP_REASON_NAMES,
  RESOURCE_KIND_NAMES,
  RESOURCE_STATUS_NAMES,
} from "@d-cloudx/sdk/protocol";

import { writeManifest } from "../manifest.ts";

/** The subgraph workspace folder. */
export const SUBGRAPH_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const MANIFEST = `${SUBGRAPH_DIR}subgraph.yaml`;
/** Where `graph build` writes the compiled subgraph (gnd deploys it from there). */
export const BUILD_DIR = `${SUBGRAPH_DIR}build`;

const GRAPH_CLI = fileURLToPath(import.meta.resolve("@graphprotocol/graph-cli/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
);

/** Runs a Node script of this workspace or graph-cli with the current Node; rejects with its output. */
function node(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: SUBGRAPH_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(" ")} failed (exit ${code}):\n${output}`)),
    );
  });
}

/** Files whose content decides what `graph codegen` and `graph build` produce. */
function buildInputs(): string[] {
  const under = (folder: string) =>
    readdirSync(join(SUBGRAPH_DIR, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
  const graphCli = fileURLToPath(import.meta.resolve("@graphprotocol/graph-cli/package.json"));
  return [MANIFEST, `${SUBGRAPH_DIR}schema.graphql`, ...under("abis"), ...under("src"), graphCli];
}

/** The GraphQL enums that mirror a contract enum (its `None` member aside, which no event carries). */
const MIRRORED_ENUMS: Record<string, readonly string[]> = {
  ResourceKind: RESOURCE_KIND_NAMES,
  ResourceStatus: RESOURCE_STATUS_NAMES,
  BookingStatus: BOOKING_STATUS_NAMES,
  RefundReason: REFUND_REASON_NAMES,
  RenewalSkipReason: RENEWAL_SKIP_REASON_NAMES,
};

/** Fails unless schema.graphql declares every value of the contract enums it mirrors. */
export function checkSchemaEnums(schema = readFileSync(`${SUBGRAPH_DIR}schema.graphql`, "utf8")): void {
  for (const [name, values] of Object.entries(MIRRORED_ENUMS)) {
    const body = new RegExp(`\\benum ${name} \\{([^}]*)\\}`).exec(schema)?.[1] ?? "";
    const declared = new Set(body.replace(/"[^"]*"/g, "").match(/\b[A-Z][A-Z0-9_]*\b/g));
    const missing = values.filter((value) => value !== "NONE" && !declared.has(value));
    if (missing.length > 0) {
      throw new Error(`schema.graphql: enum ${name} lacks ${missing.join(", ")}, which the contracts define`);
    }
  }
}

/**
 * Writes the manifest for `network` from `deploymentsDir` and builds the subgraph into build/,
 * unless build/ already holds the build of these very inputs (a fresh local chain gets the same
 * addresses every time, so restarting the local stack skips the build).
 */
export async function buildSubgraph(network: string, deploymentsDir: string): Promise<Deployment> {
  await node(["scripts/abis.ts"]);
  await node(["scripts/metadata-rules.ts"]);
  checkSchemaEnums();
  const deployment = writeManifest(network, deploymentsDir, MANIFEST);
  const hash = createHash("sha256");
  for (const file of buildInputs()) hash.update(file).update(readFileSync(file));
  const key = hash.digest("hex");
  const keyFile = join(BUILD_DIR, ".inputs-sha256");
  if (existsSync(keyFile) && readFileSync(keyFile, "utf8") === key) return deployment;
  rmSync(keyFile, { force: true });
  await node([GRAPH_CLI, "codegen", MANIFEST]);
  await node([GRAPH_CLI, "build", MANIFEST]);
  writeFileSync(keyFile, key);
  return deployment;
}
