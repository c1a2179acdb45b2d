/**
 * graph-node for local runs: `gnd dev` (graph-node's developer binary, the real runtime, store and
 * GraphQL API) against a project-local PostgreSQL database, a JSON-RPC chain and an IPFS node,
 * serving the subgraph built in `<manifest dir>/build`.
 *
 * gnd binds 0.0.0.0 on its four ports (it has no option for the address), including the admin
 * JSON-RPC port that deploys and removes subgraphs. So it runs in a network namespace of its own
 * whose ports are offered on 127.0.0.1 only (loopback-only.ts), where the machine allows
 * unprivileged namespaces; elsewhere, or with GRAPH_NODE_LOOPBACK_ONLY=0, it runs as it is, with a
 * warning.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chainHead } from "./chain.ts";
import { loopbackOnly, loopbackOnlyAvailable } from "./loopback-only.ts";
import { type Service, startService, stopService, waitFor } from "./process.ts";

/** Name gnd dev gives the first (only) subgraph it deploys from files. */
const DEV_SUBGRAPH_NAME = "subgraph-0";
/** The name the subgraph is served under: /subgraphs/name/d-cloudx. */
export const SUBGRAPH_NAME = "d-cloudx";

/**
 * graph-node settings for a local chain that mines a block per transaction, so that an event
 * reaches the GraphQL API within about a second (bench:indexing measures it).
 */
export const LOW_LATENCY_ENV: Record<string, string> = {
  // Poll the chain for new blocks every 100 ms (default 1 s).
  ETHEREUM_POLLING_INTERVAL: "100",
  // The subgraph's block stream waits for the block ingestor's chain head notifications, which
  // graph-node's Postgres listener hands on in batches, once no new one has come for 500 ms (or
  // 128 have): while blocks keep coming faster than that, none arrives and the stream looks for
  // new blocks only when this timeout fires (default 30 s). It is in whole seconds and 0 makes
  // the stream spin, so 1 s is the shortest wait: an event is queryable within about 1 s plus the
  // time to index it, about half a second on average.
  GRAPH_CHAIN_HEAD_WATCHER_TIMEOUT: "1",
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
  /** Runs gnd in a process group of its own (see startService). */
  detached?: boolean;
  /** Records gnd's pid in this folder while it runs (see `stopRecorded`). */
  pidDir?: string;
  /** Told when graph-node cannot be kept on loopback. */
  warn?: (message: string) => void;
}

export interface IndexingStatus {
  /** The deployment's id (for gnd dev, the built manifest's path). */
  subgraph: string;
  synced: boolean;
  health: string;
  fatalError: { message: string } | null;
  chains: { chainHeadBlock: { number: string } | null; latestBlock: { number: string } | null }[];
}

/** Queries and status of a running graph-node. */
export interface GraphNodeClient {
  ports: GraphNodePorts;
  /** GraphQL endpoint of the subgraph. */
  subgraphUrl: string;
  /** The subgraph's indexing status. */
  status(): Promise<IndexingStatus>;
  /** Runs a GraphQL query against the subgraph; throws on GraphQL errors. */
  query<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Waits until the subgraph has indexed `block` (default: the chain's head now). */
  waitUntilSynced(options?: { block?: number; timeoutMs?: number }): Promise<number>;
  /** Calls graph-node's admin JSON-RPC API (subgraph_pause, subgraph_resume, …). */
  admin(method: string, params: Record<string, string>): Promise<void>;
}

/** A graph-node started here. */
export interface GraphNode extends GraphNodeClient {
  service: Service;
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

const STATUS_QUERY = `{
  indexingStatuses {
    subgraph synced health fatalError { message }
    chains { chainHeadBlock { number } latestBlock { number } }
  }
}`;

/**
 * A client of the graph-node on `ports` indexing the chain at `chainRpcUrl`. `checkAlive` is
 * called before each status poll, to fail fast when the process has died.
 */
export function graphNodeClient(
  ports: GraphNodePorts,
  chainRpcUrl: string,
  checkAlive: () => void = () => {},
): GraphNodeClient {
  const subgraphUrl = `http://127.0.0.1:${ports.http}/subgraphs/name/${SUBGRAPH_NAME}`;
  const statusUrl = `http://127.0.0.1:${ports.indexNode}/graphql`;
  const status = async (): Promise<IndexingStatus> => {
    checkAlive();
    const data = await graphql<{ indexingStatuses: IndexingStatus[] }>(statusUrl, STATUS_QUERY);
    const [first] = data.indexingStatuses;
    if (!first) throw new Error("graph-node has no subgraph deployed yet");
    return first;
  };
  return {
    ports,
    subgraphUrl,
    status,
    admin: (method, params) => adminCall(ports.admin, method, params),
    query: (query, variables) => graphql(subgraphUrl, query, variables),
    async waitUntilSynced({ block, timeoutMs = 120_000 } = {}) {
      const target = block ?? (await chainHead(chainRpcUrl));
      const failed = (error: unknown) => (error as { fatal?: boolean }).fatal === true;
      return waitFor(
        `the subgraph to index block ${target}`,
        async () => {
          const current = await status();
          if (current.health === "failed") {
            const message = `Subgraph failed: ${current.fatalError?.message ?? "unknown error"}`;
            throw Object.assign(new Error(message), { fatal: true });
          }
          const latest = Number(current.chains[0]?.latestBlock?.number ?? -1);
          return latest >= target ? latest : undefined;
        },
        timeoutMs,
        20,
        failed,
      );
    },
  };
}

/** The TCP port of a URL or `host:port`. */
function portOf(address: string): number {
  const url = new URL(address.includes("://") ? address : `http://${address}`);
  return Number(url.port || (url.protocol === "https:" ? 443 : 80));
}

async function adminCall(adminPort: number, method: string, params: Record<string, string>): Promise<void> {
  const body = (await postJson(`http://127.0.0.1:${adminPort}`, { jsonrpc: "2.0", id: 1, method, params })) as {
    error?: { message: string };
  };
  if (body.error) throw new Error(`graph-node ${method}: ${body.error.message}`);
}

/**
 * Serves `deployment` as SUBGRAPH_NAME instead of gnd dev's numbered name, through graph-node's
 * admin API: the same deployment under another name, so nothing is indexed twice.
 */
async function serveUnderName(adminPort: number, deployment: string): Promise<void> {
  try {
    await adminCall(adminPort, "subgraph_create", { name: SUBGRAPH_NAME });
  } catch (error) {
    // A database kept from an earlier start already has the name.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
  // gnd dev may still be assigning the deployment to its node: both writes then race for the same
  // assignment row, and the loser says "duplicate key". Once gnd dev's is in, ours only names it.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminCall(adminPort, "subgraph_deploy", { name: SUBGRAPH_NAME, ipfs_hash: deployment });
      break;
    } catch (error) {
      if (attempt >= 10 || !/duplicate key/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await adminCall(adminPort, "subgraph_remove", { name: DEV_SUBGRAPH_NAME }).catch(() => {});
}

/** Starts gnd dev and waits until it serves the subgraph as SUBGRAPH_NAME. */
export async function startGraphNode(options: GraphNodeOptions): Promise<GraphNode> {
  const built = join(dirname(options.manifest), "build", "subgraph.yaml");
  if (!existsSync(built)) throw new Error(`No built subgraph at ${built}: build the subgraph first.`);
  const { ports } = options;
  const gndArgs = [
    "dev",
    ...["--manifests", options.manifest],
    ...["--postgres-url", options.postgresUrl],
    ...["--ethereum-rpc", `${options.network}:${options.chainRpcUrl}`],
    ...["--ipfs", options.ipfs],
    ...["--http-port", String(ports.http)],
    ...["--index-node-port", String(ports.indexNode)],
    ...["--admin-port", String(ports.admin)],
    ...["--metrics-port", String(ports.metrics)],
  ];
  const isolated =
    process.env.GRAPH_NODE_LOOPBACK_ONLY !== "0" && loopbackOnlyAvailable()
      ? await loopbackOnly(gndBinary(), gndArgs, {
          inbound: [ports.http, ports.indexNode, ports.admin, ports.metrics],
          outbound: [options.chainRpcUrl, options.postgresUrl, options.ipfs].map(portOf),
        })
      : undefined;
  if (!isolated)
    options.warn?.(
      "graph-node listens on every interface, not only 127.0.0.1 (GRAPH_NODE_LOOPBACK_ONLY=0, or no network namespace here)",
    );
  const service = startService(isolated?.command ?? gndBinary(), isolated?.args ?? gndArgs, {
    cwd: dirname(options.manifest),
    env: { ...process.env, ...LOW_LATENCY_ENV, ...options.env },
    logFile: options.logFile,
    detached: options.detached,
    pidFile: options.pidDir ? { pidDir: options.pidDir, name: "graph-node" } : undefined,
  });
  const exited = () => service.child.exitCode !== null || service.child.signalCode !== null;
  const client = graphNodeClient(ports, options.chainRpcUrl, () => {
    if (exited()) throw Object.assign(new Error(`gnd exited; see ${options.logFile}`), { fatal: true });
  });
  const node: GraphNode = {
    ...client,
    service,
    stop: async () => {
      await stopService(service, "SIGINT", 15_000);
      await isolated?.close();
    },
  };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const fatal = (error: unknown) => (error as { fatal?: boolean }).fatal === true;
  try {
    const deployment = await waitFor(
      "graph-node to deploy the subgraph",
      async () => (await client.status()).subgraph,
      timeoutMs,
      200,
      fatal,
    );
    await serveUnderName(ports.admin, deployment);
    await waitFor(
      `graph-node to serve the subgraph as ${SUBGRAPH_NAME}`,
      // The GraphQL endpoint answers once the deployment is assigned.
      () => client.query("{ _meta { block { number } } }").then(() => true),
      timeoutMs,
      200,
      fatal,
    );
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}
