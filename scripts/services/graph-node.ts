/**
 * graph-node for local runs: `gnd dev` (graph-node's developer binary, the real runtime, store and
 * GraphQL API) against a project-local PostgreSQL database, a JSON-RPC chain and an IPFS node,
 * serving the subgraph built in `<manifest dir>/build`.
 *
 * gnd binds 0.0.0.0 on its four ports (it has no option for the address); each port is set here.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Service, startService, stopService, waitFor } from "./process.ts";

/** Name gnd dev gives the first (only) subgraph it deploys from files. */
const DEV_SUBGRAPH_NAME = "subgraph-0";

/**
 * graph-node settings for a local chain that mines a block per transaction: poll the chain head
 * often, so that an event reaches the GraphQL API within a fraction of a second.
 */
export const LOW_LATENCY_ENV: Record<string, string> = {
  ETHEREUM_POLLING_INTERVAL: "100",
  // Blocks are final on a local chain, and a short reorg window keeps the block cache small.
  ETHEREUM_REORG_THRESHOLD: "10",
  // A metadata file that cannot be found is retried; do not hold a request open for a minute.
  GRAPH_IPFS_TIMEOUT: "10",
};

/** The gnd executable for this platform (shipped in `@graphprotocol/gnd-<os>-<cpu>`). */
export function gndBinary(): string {
  const name = `@graphprotocol/gnd-${process.platform}-${process.arch}`;
  let packageJson: string;
  try {
    packageJson = fileURLToPath(import.meta.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`${name} is not installed: graph-node's gnd binary is needed (npm install).`);
  }
  return join(dirname(packageJson), "bin", "gnd");
}

export interface GraphNodePorts {
  /** GraphQL queries. */
  http: number;
  /** Indexing status API. */
  indexNode: number;
  /** JSON-RPC admin API. */
  admin: number;
  /** Prometheus metrics. */
  metrics: number;
}

export interface GraphNodeOptions {
  postgresUrl: string;
  /** Network name as in the manifest, and the chain's JSON-RPC URL. */
  network: string;
  chainRpcUrl: string;
  /** IPFS node, `host:port` or URL (it must serve the Kubo RPC API and the /ipfs gateway). */
  ipfs: string;
  /** The subgraph manifest; gnd deploys `<its folder>/build/subgraph.yaml`. */
  manifest: string;
  ports: GraphNodePorts;
  logFile: string;
  /** Extra environment for gnd (graph-node's GRAPH_* and ETHEREUM_* settings). */
  env?: Record<string, string>;
  /** How long to wait for the subgraph to be deployed. */
  timeoutMs?: number;
}

export interface IndexingStatus {
  synced: boolean;
  health: string;
  fatalError: { message: string } | null;
  chains: { chainHeadBlock: { number: string } | null; latestBlock: { number: string } | null }[];
}

export interface GraphNode {
  ports: GraphNodePorts;
  /** GraphQL endpoint of the subgraph. */
  subgraphUrl: string;
  service: Service;
  /** The subgraph's indexing status. */
  status(): Promise<IndexingStatus>;
  /** Runs a GraphQL query against the subgraph; throws on GraphQL errors. */
  query<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Waits until the subgraph has indexed `block` (default: the chain's head now). */
  waitUntilSynced(options?: { block?: number; timeoutMs?: number }): Promise<number>;
  /** Stops gnd (SIGINT: graph-node shuts down cleanly on it). */
  stop(): Promise<void>;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

async function graphql<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const result = (await postJson(url, { query, variables })) as { data?: T; errors?: { message: string }[] };
  if (result.errors?.length) throw new Error(`GraphQL errors from ${url}: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

/** The chain's latest block number. */
export async function chainHead(rpcUrl: string): Promise<number> {
  const result = (await postJson(rpcUrl, { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] })) as {
    result: string;
  };
  return Number(result.result);
}

const STATUS_QUERY = `{
  indexingStatuses {
    subgraph synced health fatalError { message }
    chains { chainHeadBlock { number } latestBlock { number } }
  }
}`;

/** Starts gnd dev and waits until it serves the subgraph. */
export async function startGraphNode(options: GraphNodeOptions): Promise<GraphNode> {
  const built = join(dirname(options.manifest), "build", "subgraph.yaml");
  if (!existsSync(built)) throw new Error(`No built subgraph at ${built}: build the subgraph first.`);
  const { ports } = options;
  const service = startService(
    gndBinary(),
    [
      "dev",
      ...["--manifests", options.manifest],
      ...["--postgres-url", options.postgresUrl],
      ...["--ethereum-rpc", `${options.network}:${options.chainRpcUrl}`],
      ...["--ipfs", options.ipfs],
      ...["--http-port", String(ports.http)],
      ...["--index-node-port", String(ports.indexNode)],
      ...["--admin-port", String(ports.admin)],
      ...["--metrics-port", String(ports.metrics)],
    ],
    {
      cwd: dirname(options.manifest),
      env: { ...process.env, ...LOW_LATENCY_ENV, ...options.env },
      logFile: options.logFile,
    },
  );

  const subgraphUrl = `http://127.0.0.1:${ports.http}/subgraphs/name/${DEV_SUBGRAPH_NAME}`;
  const statusUrl = `http://127.0.0.1:${ports.indexNode}/graphql`;
  const status = async (): Promise<IndexingStatus> => {
    const data = await graphql<{ indexingStatuses: IndexingStatus[] }>(statusUrl, STATUS_QUERY);
    const [first] = data.indexingStatuses;
    if (!first) throw new Error("graph-node has no subgraph deployed yet");
    return first;
  };
  const failIfExited = () => {
    if (service.child.exitCode !== null) {
      throw new Error(`gnd exited with code ${service.child.exitCode}; see ${options.logFile}`);
    }
  };

  const node: GraphNode = {
    ports,
    subgraphUrl,
    service,
    status,
    query: (query, variables) => graphql(subgraphUrl, query, variables),
    async waitUntilSynced({ block, timeoutMs = 120_000 } = {}) {
      const target = block ?? (await chainHead(options.chainRpcUrl));
      return waitFor(
        `the subgraph to index block ${target}`,
        async () => {
          failIfExited();
          const current = await status();
          if (current.health === "failed") {
            throw Object.assign(new Error(`Subgraph failed: ${current.fatalError?.message ?? "unknown error"}`), {
              fatal: true,
            });
          }
          const latest = Number(current.chains[0]?.latestBlock?.number ?? -1);
          return latest >= target ? latest : undefined;
        },
        timeoutMs,
        50,
        (error) => (error as { fatal?: boolean }).fatal === true,
      );
    },
    stop: () => stopService(service, "SIGINT", 15_000),
  };

  try {
    await waitFor(
      "graph-node to deploy the subgraph",
      async () => {
        failIfExited();
        await status();
        // The GraphQL endpoint answers once the deployment is assigned.
        await node.query("{ _meta { block { number } } }");
        return true;
      },
      options.timeoutMs ?? 120_000,
      200,
      () => service.child.exitCode !== null,
    );
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}
