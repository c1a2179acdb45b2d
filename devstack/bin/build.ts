#!/usr/bin/env node
/**
 * `d-cloudx-build [--production] [--force]`: builds the contracts, the sdk's ABIs and the dApp's
 * generated code where they are missing or stale (`npm run compile` runs it; so do the tests and
 * benchmarks before they start).
 */
import { buildWhatIsMissing } from "../src/build.ts";

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== "--production" && arg !== "--force");
if (unknown.length) {
  console.error(`Unknown argument ${unknown.join(" ")}; options: --production, --force`);
  process.exit(2);
}
try {
  const built = await buildWhatIsMissing({
    profile: args.includes("--production") ? "production" : "default",
    force: args.includes("--force"),
  });
  if (built.length === 0) console.log("Contracts, ABIs and generated code are current.");
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
