/**
 * Runs the `gnd test` suite (tests/gnd/*.json and the metadata equivalence test generated from
 * the sdk, or the files given as arguments) against the subgraph built for the fixed test
 * deployment (tests/deployments/gnd-test.json), on a throw-away PostgreSQL cluster on a free port.
 * Each file gets its own database, so that one failing case (gnd keeps its data for inspection)
 * cannot disturb the next.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { gndBinary } from "@d-cloudx/devstack/graph-node";
import { startPostgres } from "@d-cloudx/devstack/postgres";
import { freePort } from "@d-cloudx/devstack/process";
import { writeMetadataEquivalenceTests } from "../tests/metadata-equivalence.ts";
import { SUBGRAPH_DIR, buildSubgraph } from "./lib/build.ts";

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const started = Date.now();
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(join(SUBGRAPH_DIR, "tests/gnd"))
        .filter((name) => name.endsWith(".json"))
        .sort()
        .map((name) => join("tests/gnd", name));

await buildSubgraph("gnd-test", join(SUBGRAPH_DIR, "tests/deployments"));
console.log(`Built the subgraph for the gnd-test deployment in ${seconds(started)}`);

const dataRoot = mkdtempSync(join(tmpdir(), "dcloudx-gnd-test-"));
if (process.argv.length <= 2) {
  const equivalence = writeMetadataEquivalenceTests(join(dataRoot, "metadata-equivalence"));
  console.log(
    `Metadata equivalence: ${equivalence.valid} documents the sdk accepts, ${equivalence.invalid} it rejects`,
  );
  files.push(...equivalence.files);
}
const postgres = await startPostgres({ dataDir: join(dataRoot, "postgres"), port: await freePort(), durable: false });
const failed: string[] = [];
const testsStarted = Date.now();
try {
  for (const [index, file] of files.entries()) {
    const database = `gnd_test_${index}`;
    await postgres.createDatabase(database);
    const child = spawn(gndBinary(), ["test", "--skip-build", "--postgres-url", postgres.url(database), file], {
      cwd: SUBGRAPH_DIR,
      stdio: "inherit",
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (code !== 0) failed.push(file);
  }
} finally {
  await postgres.stop();
  rmSync(dataRoot, { recursive: true, force: true });
}
console.log(`\ngnd test: ${files.length} files in ${seconds(testsStarted)} (${seconds(started)} with the build)`);
if (failed.length > 0) console.log(`Failed: ${failed.join(", ")}`);
console.log(`${files.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
