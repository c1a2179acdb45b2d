/**
 * Everything the subgraph needs, started in order: a Hardhat chain with D-CloudX deployed, the
 * local IPFS node, a PostgreSQL cluster, and graph-node serving the subgraph built for that
 * deployment. Tests start a private stack on free ports; the benchmark and the CLIs reuse the
 * services already running on the configured ports and start only the missing ones.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

import type { Deployment } from "@d-cloudx/sdk";
import { type IpfsNode, startIpfsNode } from "@d-cloudx/ipfs-node";

import { type Chain, chainHead, deployLocal, rpc, startChain } from "./chain.ts";
import { type GraphNodeClient, type GraphNodePorts, graphNodeClient, startGraphNode } from "./graph-node.ts";
import { type PortName, envPort } from "./ports.ts";
import { type PostgresCluster, startPostgres } from "./postgres.ts";
import { freePort, portInUse } from "./process.ts";
import { REPOSITORY } from "./paths.ts";

const NETWORK = "localhost";
const DATABASE_PREFIX = "graph_";

export interface StackOptions {
  /** Folder for the data of the services started here (PostgreSQL, IPFS, deployments) and logs. */
  dataDir: string;
  /**
   * "private": every service on a free port, nothing reused (tests).
   * "shared": the ports from CHAIN_PORT, IPFS_API_PORT, POSTGRES_PORT, GRAPH_HTTP_PORT,
   * GRAPH_INDEX_NODE_PORT, GRAPH_ADMIN_PORT and GRAPH_METRICS_PORT; a service already answering
   * there is used as it is.
   */
  mode: "private" | "shared";
  /**
   * Where the deployment of an already running chain is (default: the repository's deployments/).
   * A chain started here is deployed to `deployTo` (default `<dataDir>/deployments`).
   */
  deploymentsDir?: string;
  deployTo?: string;
  /** Extra environment for graph-node. */
  graphNodeEnv?: Record<string, string>;
  /** Runs the chain and graph-node in process groups of their own, for a parent that stops them on Ctrl-C. */
  detached?: boolean;
  /** Records the pids of the chain and graph-node in this folder while they run (see `stopRecorded`). */
  pidDir?: string;
  log?: (message: string) => void;
}

export interface Stack {
  rpcUrl: string;
  deployment: Deployment;
  ipfsUrl: string;
  postgres: PostgresCluster;
  graphNode: GraphNodeClient;
  /** What this stack started (and will stop), by service. */
  started: string[];
  /** Stops what this stack started, graph-node first. */
  stop(): Promise<void>;
}

async function answersJsonRpc(url: string): Promise<boolean> {
  try {
    await chainHead(url);
    return true;
  } catch {
    return false;
  }
}

async function answersIpfs(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/api/v0/version`, { method: "POST" })).ok;
  } catch {
    return false;
  }
}

/** Whether a graph-node serves the subgraph there already. */
async function answers(graphNode: GraphNodeClient): Promise<boolean> {
  try {
    await graphNode.status();
    return true;
  } catch {
    return false;
  }
}

/** Name of graph-node's database for the chain at `rpcUrl`: one per chain, as a restarted chain is a new one. */
async function databaseFor(rpcUrl: string): Promise<string> {
  const genesis = await rpc<{ hash: string }>(rpcUrl, "eth_getBlockByNumber", ["0x0", false]);
  return `${DATABASE_PREFIX}${genesis.hash.slice(2, 14)}`;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const shared = options.mode === "shared";
  const port = async (name: PortName) => (shared ? envPort(name) : freePort());
  const logDir = join(options.dataDir, "logs");
  let deploymentsDir = options.deploymentsDir ?? join(REPOSITORY, "deployments");
  mkdirSync(logDir, { recursive: true });

  const stops: (() => Promise<void>)[] = [];
  const startedServices: string[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne();
  };
  try {
    // Chain and deployment.
    const chainPort = await port("CHAIN_PORT");
    const rpcUrl = `http://127.0.0.1:${chainPort}`;
    let deployment: Deployment;
    if (shared && (await answersJsonRpc(rpcUrl))) {
      if (!existsSync(join(deploymentsDir, `${NETWORK}.json`))) {
        throw new Error(
          `A chain answers on ${rpcUrl} but ${deploymentsDir}/${NETWORK}.json is missing: deploy (npm run deploy:local).`,
        );
      }
      // Loaded here, not on import: see deployLocal.
      const { readDeployment } = await import("@d-cloudx/sdk");
      deployment = readDeployment(NETWORK, deploymentsDir);
      log(`Using the chain on ${rpcUrl}`);
    } else {
      const chain: Chain = await startChain({
        port: chainPort,
        logFile: join(logDir, "chain.log"),
        detached: options.detached,
        pidDir: options.pidDir,
      });
      stops.push(chain.stop);
      startedServices.push("chain");
      deploymentsDir = options.deployTo ?? join(options.dataDir, "deployments");
      deployment = await deployLocal(chainPort, deploymentsDir);
      log(`Started a chain on ${rpcUrl} and deployed D-CloudX`);
    }

    // IPFS.
    const ipfsPort = await port("IPFS_API_PORT");
    let ipfsUrl = `http://127.0.0.1:${ipfsPort}`;
    if (!(shared && (await answersIpfs(ipfsUrl)))) {
      const ipfs: IpfsNode = await startIpfsNode({ port: ipfsPort, dataDir: join(options.dataDir, "ipfs") });
      stops.push(() => ipfs.close());
      startedServices.push("ipfs");
      ipfsUrl = ipfs.url;
      log(`Started the IPFS node on ${ipfsUrl}`);
    } else {
      log(`Using the IPFS node on ${ipfsUrl}`);
    }

    // PostgreSQL: one database per chain.
    const postgres = await startPostgres({
      dataDir: join(options.dataDir, "postgres"),
      port: await port("POSTGRES_PORT"),
      durable: shared,
    });
    if (postgres.startedHere) {
      stops.push(() => postgres.stop());
      startedServices.push("postgres");
    }
    log(`${postgres.startedHere ? "Started" : "Using"} PostgreSQL on 127.0.0.1:${postgres.port}`);
    const database = await databaseFor(rpcUrl);
    const databases = await postgres.databases(DATABASE_PREFIX);
    if (!databases.includes(database)) {
      // Databases of earlier chains are of no use: their chains are gone.
      for (const stale of databases) await postgres.dropDatabase(stale);
      await postgres.createDatabase(database);
    }

    // graph-node with the subgraph of this deployment.
    const ports: GraphNodePorts = {
      http: await port("GRAPH_HTTP_PORT"),
      indexNode: await port("GRAPH_INDEX_NODE_PORT"),
      admin: await port("GRAPH_ADMIN_PORT"),
      metrics: await port("GRAPH_METRICS_PORT"),
    };
    let graphNode: GraphNodeClient = graphNodeClient(ports, rpcUrl);
    if (shared && (await answers(graphNode))) {
      log(`Using graph-node: ${graphNode.subgraphUrl}`);
    } else {
      for (const [name, value] of Object.entries(ports)) {
        if (await portInUse(value)) throw new Error(`graph-node's ${name} port ${value} is in use`);
      }
      // Loaded here, not on import, like the sdk: it uses the generated enums (see deployLocal).
      const { MANIFEST, buildSubgraph } = await import("@d-cloudx/subgraph/build");
      await buildSubgraph(NETWORK, deploymentsDir);
      const started = await startGraphNode({
        postgresUrl: postgres.url(database),
        network: NETWORK,
        chainRpcUrl: rpcUrl,
        ipfs: ipfsUrl,
        manifest: MANIFEST,
        ports,
        logFile: join(logDir, "graph-node.log"),
        env: options.graphNodeEnv,
        detached: options.detached,
        pidDir: options.pidDir,
        warn: log,
      });
      stops.push(() => started.stop());
      startedServices.push("graph-node");
      graphNode = started;
      log(`Started graph-node: ${graphNode.subgraphUrl}`);
    }

    return { rpcUrl, deployment, ipfsUrl, postgres, graphNode, started: startedServices, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
