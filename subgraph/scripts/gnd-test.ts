/**
 * Runs the `gnd test` suite (tests/gnd/*.json) against the subgraph built for the fixed test
 * deployment (tests/deployments/gnd-test.json), on a throw-away PostgreSQL cluster on a free port.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { gndBinary } from "../../scripts/services/graph-node.ts";
import { startPostgres } from "../../scripts/services/postgres.ts";
import { freePort } from "../../scripts/services/process.ts";
import { SUBGRAPH_DIR, buildSubgraph } from "./lib/build.ts";

const started = Date.now();
await buildSubgraph("gnd-test", join(SUBGRAPH_DIR, "tests/deployments"));
console.log(`Built the subgraph for the gnd-test deployment in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const dataRoot = mkdtempSync(join(tmpdir(), "dcloudx-gnd-test-"));
const postgres = await startPostgres({ dataDir: join(dataRoot, "postgres"), port: await freePort(), durable: false });
let code: number | null = 1;
try {
  await postgres.createDatabase("gnd_test");
  const args = ["test", "--skip-build", "--postgres-url", postgres.url("gnd_test"), ...process.argv.slice(2)];
  if (process.argv.length <= 2) args.push("tests/gnd");
  const child = spawn(gndBinary(), args, { cwd: SUBGRAPH_DIR, stdio: "inherit" });
  code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
} finally {
  await postgres.stop();
  rmSync(dataRoot, { recursive: true, force: true });
}
console.log(`gnd test took ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
process.exit(code ?? 1);
