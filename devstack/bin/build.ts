#!/usr/bin/env node
/**
 * `d-cloudx-build [--production] [--contracts] [--force]`: builds the contracts, the sdk's ABIs and
 * (without --contracts) the dApp's generated code where they are missing or stale (`npm run compile`
 * runs it; so do the tests and benchmarks before they start).
 */
import { buildWhatIsMissing } from "../src/build.ts";

const args = process.argv.slice(2);
const OPTIONS = ["--production", "--contracts", "--force"];
const unknown = args.filter((arg) => !OPTIONS.includes(arg));
if (unknown.length) {
  console.error(`Unknown argument ${unknown.join(" ")}; options: ${OPTIONS.join(", ")}`);
  process.exit(2);
}
try {
  const built = await buildWhatIsMissing({
    profile: args.includes("--production") ? "production" : "default",
    contractsOnly: args.includes("--contracts"),
    force: args.includes("--force"),
  });
  if (built.length === 0) console.log("Contracts, ABIs and generated code are current.");
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
