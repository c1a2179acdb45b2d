/**
 * Everything a browser test needs, on free ports in a temporary folder: the chain with D-CloudX
 * deployed, the IPFS node, PostgreSQL and graph-node with the subgraph (@d-cloudx/devstack),
 * an oracle node with the `local` adapter, and the dApp built for that stack and published to the
 * IPFS node, loaded from its gateway at /ipfs/<cid>/.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Deployment } from "@d-cloudx/sdk";

import {
  type Oracle,
  type Stack,
  TEST_ORACLE_SETTINGS,
  freePort,
  keepMining,
  publishStackDapp,
  startOracle,
  startStack,
  stopLocalWorkloads,
  writeLocalDeployment,
} from "@d-cloudx/devstack";

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

export async function startDappStack(log: (message: string) => void = () => {}): Promise<DappStack> {
  const dataDir = mkdtempSync(join(tmpdir(), "dcx-browser-"));
  const stack = await startStack({ dataDir, mode: "private", log });
  await keepMining(stack.rpcUrl);
  const oracleDir = join(dataDir, "oracle-node");
  let oracle: Oracle | undefined;
  const stop = async () => {
    await oracle?.stop();
    stopLocalWorkloads(oracleDir, "SIGKILL");
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const deploymentsDir = join(dataDir, "dapp-deployments");
    const deploymentsFile = writeLocalDeployment(deploymentsDir, stack.deployment);

    oracle = await startOracle({
      rpcUrl: stack.rpcUrl,
      ipfsApiUrl: stack.ipfsUrl,
      deploymentsFile,
      dataDir: oracleDir,
      port: await freePort(),
      providers: "*",
      logFile: join(dataDir, "logs", "oracle-node.log"),
      // A booking whose renewal is ruled out (no policy yet, no allowance) is looked at again soon.
      settings: { ...TEST_ORACLE_SETTINGS, renewals: { recheckSeconds: 2 }, log: { level: "info" } },
    });
    const oracleUrl = oracle.url;
    log(`Oracle node on ${oracleUrl}`);

    const { cid: dappCid, url: dappUrl } = await publishStackDapp(stack, deploymentsDir, join(dataDir, "dist"));
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
