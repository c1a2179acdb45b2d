/**
 * `npm run graph:start`: graph-node serving the subgraph for the local chain, until Ctrl-C.
 *
 * Uses the chain (CHAIN_PORT, deployment in deployments/localhost.json) and IPFS node
 * (IPFS_API_PORT) that are running, or starts them; starts the project's PostgreSQL cluster
 * (.data/postgres, POSTGRES_PORT) and gnd (GRAPH_HTTP_PORT, GRAPH_INDEX_NODE_PORT, GRAPH_ADMIN_PORT,
 * GRAPH_METRICS_PORT), builds and deploys the subgraph, waits until it has synced, prints its
 * GraphQL URL, and on SIGINT or SIGTERM stops everything it started.
 */
import { fileURLToPath } from "node:url";

import { startStack } from "@d-cloudx/devstack/stack";

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url));

const stack = await startStack({ dataDir: `${REPOSITORY}.data`, mode: "shared", log: console.log });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("Stopping…");
  await stack.stop();
  console.log(`Stopped ${stack.started.join(", ") || "nothing"}`);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  const block = await stack.graphNode.waitUntilSynced({ timeoutMs: 600_000 });
  console.log(`\nSynced to block ${block}. GraphQL: ${stack.graphNode.subgraphUrl}`);
  console.log(`Logs in ${REPOSITORY}.data/logs. Ctrl-C stops ${stack.started.join(", ") || "nothing"}.`);
} catch (error) {
  console.error(error);
  await stop();
}
