/**
 * A local Hardhat chain and the D-CloudX deployment on it, for tests and benchmarks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Deployment, readDeployment } from "@d-cloudx/sdk";

import { buildWhatIsMissing } from "./build.ts";
import { type Service, freePort, run, startService, stopService, waitFor } from "./process.ts";
import { REPOSITORY } from "./paths.ts";

/** Hardhat's CLI, run with this process's Node (22) so that signals reach it directly. */
const HARDHAT = fileURLToPath(import.meta.resolve("hardhat/package.json")).replace(/package\.json$/, "dist/src/cli.js");

/** Hardhat's default accounts come from this public mnemonic: their keys are for local chains only. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export interface Chain {
  port: number;
  rpcUrl: string;
  service: Service;
  stop(): Promise<void>;
}

/** Starts `hardhat node` on 127.0.0.1:`port` (a block per transaction) and waits until it answers. */
export async function startChain(options: {
  port: number;
  logFile: string;
  detached?: boolean;
  pidDir?: string;
}): Promise<Chain> {
  const service = startService(
    process.execPath,
    [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(options.port)],
    {
      cwd: REPOSITORY,
      logFile: options.logFile,
      detached: options.detached,
      pidFile: options.pidDir ? { pidDir: options.pidDir, name: "chain" } : undefined,
    },
  );
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const chain = { port: options.port, rpcUrl, service, stop: () => stopService(service, "SIGINT") };
  try {
    await waitFor(
      "the chain to answer",
      () => chainHead(rpcUrl),
      60_000,
      100,
      () => service.child.exitCode !== null,
    );
  } catch (error) {
    await chain.stop();
    throw error;
  }
  return chain;
}

/**
 * Deploys D-CloudX with scripts/deploy.ts to the chain on `port` (as `npm run deploy:local` does)
 * and returns the deployment it wrote to `deploymentsDir`/localhost.json. Builds the contracts first
 * if the artifacts are not those of the sources (a coverage run leaves instrumented contracts, too
 * large to deploy to a node).
 */
export async function deployLocal(port: number, deploymentsDir: string): Promise<Deployment> {
  // Hardhat's own check of its build costs seconds; this one reads a few files.
  await buildWhatIsMissing({ contractsOnly: true, log: () => {} });
  const env = { ...process.env, CHAIN_PORT: String(port), DEPLOYMENTS_DIR: deploymentsDir };
  try {
    await run(process.execPath, [HARDHAT, "run", "--no-compile", "scripts/deploy.ts", "--network", "localhost"], {
      cwd: REPOSITORY,
      env,
    });
  } catch (error) {
    throw new Error(`Deployment failed: ${(error as Error).message}`, { cause: error });
  }
  return readDeployment("localhost", deploymentsDir);
}

/** A chain on a free port with D-CloudX deployed, in a folder of its own. */
export interface DeployedChain {
  chain: Chain;
  /** The folder with the chain's log and the deployment; removed by `stop`. */
  work: string;
  deploymentFile: string;
  deployment: Deployment;
  stop(): Promise<void>;
}

/** Starts a chain and deploys D-CloudX to it, in a new folder under the system's temporary one. */
export async function startDeployedChain(folderPrefix: string): Promise<DeployedChain> {
  const work = mkdtempSync(join(tmpdir(), folderPrefix));
  const port = await freePort();
  const chain = await startChain({ port, logFile: join(work, "chain.log") });
  const deployment = await deployLocal(port, join(work, "deployments"));
  return {
    chain,
    work,
    deploymentFile: join(work, "deployments", "localhost.json"),
    deployment,
    async stop() {
      await chain.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Calls a JSON-RPC method of the chain. */
export async function rpc<T>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/**
 * Mines a block every `intervalMs` besides one per transaction, as a live network does: graph-node
 * stores what a file data source fetched (listing metadata) only when it processes a later block,
 * and reads at "latest" see the chain's clock move.
 */
export async function keepMining(rpcUrl: string, intervalMs = 1_000): Promise<void> {
  await rpc(rpcUrl, "evm_setIntervalMining", [intervalMs]);
}

/** The chain's latest block number. */
export async function chainHead(rpcUrl: string): Promise<number> {
  return Number(await rpc<string>(rpcUrl, "eth_blockNumber"));
}
