/**
 * Prints the runtime size of every contract a deployment deploys, as the production build compiles
 * it, and exits 1 if any is over EIP-170's limit (a deployment of it would fail on any real chain).
 * `npm run check:sizes` runs it with the production build profile.
 */
import hre from "hardhat";

import { DEPLOYED_CONTRACTS, EIP170_LIMIT_BYTES, runtimeSizes } from "./lib/sizes.ts";

const sizes = await runtimeSizes(DEPLOYED_CONTRACTS, (name) => hre.artifacts.readArtifact(name));
console.table(Object.fromEntries(sizes.map(({ name, bytes, headroom }) => [name, { bytes, headroom }])));
const over = sizes.filter((s) => s.headroom < 0);
if (over.length > 0) {
  console.error(
    `Over the ${EIP170_LIMIT_BYTES}-byte limit of EIP-170: ${over.map((s) => `${s.name} (${s.bytes} bytes)`).join(", ")}`,
  );
  process.exit(1);
}
console.log(`Every deployed contract is within the ${EIP170_LIMIT_BYTES}-byte limit of EIP-170.`);
