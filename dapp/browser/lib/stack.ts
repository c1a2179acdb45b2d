/**
 * Everything a browser test needs, on free ports in a temporary folder: the chain with D-CloudX
 * deployed, the IPFS node, PostgreSQL and graph-node with the subgraph (subgraph/scripts/lib/stack.ts),
 * an oracle node with the `local` adapter, and the dApp built for that stack and published to the
 * IPFS node, loaded from its gateway at /ipfs/<cid>/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Deployment } from "@d-cloudx/sdk";

import { keepMining } from "../../../scripts/services/chain.ts";
import { type Service, freePort, startService, stopService, waitFor } from "../../../scripts/services/process.ts";
import { type Stack, startStack } from "../../../subgraph/scripts/lib/stack.ts";
import { buildDapp, publishDapp } from "../../../scripts/start/dapp.ts";
import { stopWorkloads } from "./chain.ts";

const ORACLE_NODE = fileURLToPath(new URL("../../../oracle-node/", import.meta.url));

export interface DappStack {
  stack: Stack;
  deployment: Deployment;
  rpcUrl: string;
  /** The dApp's index page on the IPFS gateway (hash routes go after it: `${dappUrl}#/bookings`). */
  dappUrl: string;
  dappCid: string;
  oracleUrl: string;
  dataDir: string;
  /** The oracle node's data folder (its `local` workloads live under it). */
  oracleDir: string;
  stop(): Promise<void>;
}

/** Oracle node settings for tests: fast loops, no confirmations, reports soon after a period ends. */
const ORACLE_CONFIG = {
  serve: { providers: "*" },
  chain: { confirmations: 0, pollIntervalMs: 200 },
  probes: { intervalMs: 500, timeoutMs: 1_000 },
  reporting: { delaySeconds: 1, windowMarginSeconds: 10, takeoverSeconds: 5, maxBatchWaitSeconds: 0 },
  tx: { receiptPollMs: 100, bumpAfterMs: 5_000 },
  provisioning: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000 },
  log: { level: "info" },
};

export async function startDappStack(log: (message: string) => void = () => {}): Promise<DappStack> {
  const dataDir = mkdtempSync(join(tmpdir(), "dcx-browser-"));
  const stack = await startStack({ dataDir, mode: "private", log });
  await keepMining(stack.rpcUrl);
  const oracleDir = join(dataDir, "oracle-node");
  let oracle: Service | undefined;
  const stop = async () => {
    if (oracle) await stopService(oracle, "SIGTERM");
    stopWorkloads(oracleDir);
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const deploymentsDir = join(dataDir, "dapp-deployments");
    mkdirSync(deploymentsDir, { recursive: true });
    writeFileSync(join(deploymentsDir, "localhost.json"), JSON.stringify(stack.deployment, null, 2));

    mkdirSync(oracleDir, { recursive: true });
    const oraclePort = await freePort();
    writeFileSync(join(oracleDir, "config.json"), JSON.stringify({ ...ORACLE_CONFIG, http: { port: oraclePort } }));
    oracle = startService("node", ["src/main.ts"], {
      cwd: ORACLE_NODE,
      logFile: join(dataDir, "logs", "oracle-node.log"),
      env: {
        ...process.env,
        ORACLE_CONFIG: join(oracleDir, "config.json"),
        ORACLE_RPC_URL: stack.rpcUrl,
        ORACLE_DEPLOYMENTS: join(deploymentsDir, "localhost.json"),
        ORACLE_IPFS_API_URL: stack.ipfsUrl,
        ORACLE_DATA_DIR: oracleDir,
      },
    });
    const oracleUrl = `http://127.0.0.1:${oraclePort}`;
    await waitFor(
      "the oracle node",
      async () => ((await fetch(`${oracleUrl}/healthz`)).ok ? true : undefined),
      60_000,
      250,
    );
    log(`Oracle node on ${oracleUrl}`);

    const { outDir } = await buildDapp({
      deployment: stack.deployment,
      deploymentsDir,
      outDir: join(dataDir, "dist"),
      env: {
        VITE_RPC_URL: stack.rpcUrl,
        VITE_SUBGRAPH_URL: stack.graphNode.subgraphUrl,
        VITE_IPFS_API_URL: stack.ipfsUrl,
        VITE_IPFS_GATEWAY_URL: stack.ipfsUrl,
      },
    });
    const dappCid = await publishDapp(stack.ipfsUrl, outDir);
    const dappUrl = `${stack.ipfsUrl}/ipfs/${dappCid}/`;
    log(`dApp on ${dappUrl}`);
    return {
      stack,
      deployment: stack.deployment,
      rpcUrl: stack.rpcUrl,
      dappUrl,
      dappCid,
      oracleUrl,
      dataDir,
      oracleDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
