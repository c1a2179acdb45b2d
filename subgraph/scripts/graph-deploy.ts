/**
 * `npm run graph:deploy [-- network]`: builds the subgraph for deployments/<network>.json
 * (default localhost) into subgraph/build, ready for `graph deploy` to a hosted graph-node or
 * The Graph Studio. `npm run graph:start` builds and deploys the local one itself.
 */
import { fileURLToPath } from "node:url";

import { buildSubgraph } from "./lib/build.ts";

const network = process.argv[2] ?? "localhost";
const deploymentsDir = process.env.DEPLOYMENTS_DIR ?? fileURLToPath(new URL("../../deployments", import.meta.url));
await buildSubgraph(network, deploymentsDir);
console.log(`Built the subgraph for ${network} in subgraph/build (manifest: subgraph/subgraph.yaml)`);
