/**
 * Builds what the stack, the tests and the benchmarks need and is missing or stale: the contracts
 * (Hardhat artifacts and typechain types), the sdk's ABIs and the dApp's generated code. Each
 * output is rebuilt only when the hash of its inputs differs from the one recorded when it was last
 * built (under node_modules/.cache/d-cloudx), so a current tree costs a few file reads.
 *
 * Contracts build with a Hardhat build profile: `default` (no via-IR: fast, for the local chain and
 * the tests) or `production` (via-IR, as deployed to public networks and measured by bench:gas).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { REPOSITORY, filesUnder } from "./paths.ts";
import { run } from "./process.ts";

const HARDHAT = fileURLToPath(import.meta.resolve("hardhat/package.json")).replace(/package\.json$/, "dist/src/cli.js");
const KEYS = join(REPOSITORY, "node_modules", ".cache", "d-cloudx");

export type BuildProfile = "default" | "production";

/** Files under `paths` (files or folders, relative to the repository), in a stable order. */
const files = (paths: string[]) => paths.flatMap((path) => filesUnder(join(REPOSITORY, path)));

/** The version of an installed package. */
function versionOf(name: string): string {
  const path = fileURLToPath(import.meta.resolve(`${name}/package.json`));
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

function hashOf(step: Step): string {
  const hash = createHash("sha256").update(JSON.stringify(step.extra ?? null));
  for (const file of files(step.inputs)) {
    const path = relative(REPOSITORY, file);
    if (step.exclude?.some((excluded) => path.startsWith(excluded))) continue;
    hash.update(path).update(readFileSync(file));
  }
  return hash.digest("hex");
}

interface Step {
  name: string;
  /** Files and folders whose content decides the output. */
  inputs: string[];
  /** Paths under `inputs` that do not count (the step's own outputs). */
  exclude?: string[];
  /** Anything else that does (versions, profile, environment). */
  extra?: unknown;
  /**
   * Files that must exist for the output to count as built. The first is also fingerprinted: an
   * output rewritten by something else (another build profile, a coverage run) is stale.
   */
  outputs: string[];
  build(log: (line: string) => void): Promise<void>;
}

export interface BuildOptions {
  profile?: BuildProfile;
  /**
   * Only the contracts and the sdk's ABIs, not the dApp's generated code (for a caller that
   * generates it for its own deployment when it builds the dApp).
   */
  contractsOnly?: boolean;
  /** Rebuild even what is current. */
  force?: boolean;
  log?: (line: string) => void;
}

/** Runs a Node program, passing each line of its output to `log` as it comes. */
function runWithProgress(args: string[], log: (line: string) => void, env?: NodeJS.ProcessEnv): Promise<string> {
  return run(process.execPath, args, { cwd: REPOSITORY, env: env ?? process.env, onLine: log });
}

const CONTRACT_ARTIFACT = "artifacts/contracts/core/ResourceMarketplace.sol/ResourceMarketplace.json";

function steps(profile: BuildProfile): Step[] {
  return [
    {
      name: `contracts (${profile} profile)`,
      inputs: ["contracts", "hardhat.config.ts", "remappings.txt"],
      extra: {
        profile,
        versions: ["hardhat", "solc", "@openzeppelin/contracts", "@openzeppelin/contracts-upgradeable"].map(
          (name) => `${name}@${versionOf(name)}`,
        ),
      },
      outputs: [CONTRACT_ARTIFACT],
      build: async (log) => {
        // Solidity tests are built by `hardhat test` when it runs them.
        await runWithProgress([HARDHAT, "--build-profile", profile, "build", "--no-tests"], log);
      },
    },
    {
      name: "sdk ABIs",
      inputs: ["artifacts/contracts", "artifacts/@openzeppelin", "artifacts/@chainlink", "scripts/export-abis.ts"],
      outputs: ["sdk/src/generated/abis.ts"],
      build: async (log) => {
        await runWithProgress(["scripts/export-abis.ts"], log);
      },
    },
    {
      name: "dApp generated code",
      inputs: [
        "sdk/src",
        "dapp/src",
        "dapp/schema",
        "dapp/codegen.ts",
        "dapp/wagmi.config.ts",
        "dapp/scripts/generate-deployment.ts",
        "deployments/localhost.json",
      ],
      exclude: ["dapp/src/generated/"],
      extra: { network: process.env.VITE_NETWORK ?? "localhost", deployments: process.env.DEPLOYMENTS_DIR ?? "" },
      outputs: ["dapp/src/generated/contracts.ts", "dapp/src/generated/deployment.ts"],
      build: async (log) => {
        await run("npm", ["run", "generate", "-w", "dapp", "--silent"], { cwd: REPOSITORY, onLine: log });
      },
    },
  ];
}

/** Whether the contracts' artifacts are those of the sources with `profile`. */
export function contractsCurrent(profile: BuildProfile = "default"): boolean {
  const [contracts] = steps(profile);
  return isCurrent(contracts!);
}

function keyFile(step: Step): string {
  return join(KEYS, `${step.name.replace(/[^a-z0-9]+/gi, "-")}.sha256`);
}

/** The hash of the step's inputs and of its first output. */
function fingerprint(step: Step, key: string): string {
  const output = join(REPOSITORY, step.outputs[0]!);
  const content = existsSync(output) ? readFileSync(output) : "";
  return `${key} ${createHash("sha256").update(content).digest("hex")}`;
}

function isCurrent(step: Step, key = hashOf(step)): boolean {
  const file = keyFile(step);
  return (
    step.outputs.every((output) => existsSync(join(REPOSITORY, output))) &&
    existsSync(file) &&
    readFileSync(file, "utf8") === fingerprint(step, key)
  );
}

/**
 * Builds every output that is missing or stale, in order (each step's inputs include the previous
 * step's outputs). Returns the names of the steps it ran.
 */
export async function buildWhatIsMissing(options: BuildOptions = {}): Promise<string[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const built: string[] = [];
  const all = steps(options.profile ?? "default");
  for (const step of options.contractsOnly ? all.slice(0, 2) : all) {
    const key = hashOf(step);
    if (!options.force && isCurrent(step, key)) continue;
    const started = Date.now();
    log(`Building ${step.name}…`);
    rmSync(keyFile(step), { force: true });
    await step.build((line) => log(`  ${line}`));
    mkdirSync(KEYS, { recursive: true });
    writeFileSync(keyFile(step), fingerprint(step, key));
    log(`Built ${step.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    built.push(step.name);
  }
  return built;
}
