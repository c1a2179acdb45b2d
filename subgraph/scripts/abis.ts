/**
 * Copies the ABIs of the indexed contracts from the Hardhat artifacts (`npm run compile` at the
 * repository root) to abis/, where the manifest points graph-cli. Never edit them by hand.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Contract name → source file, as in artifacts/<file>/<name>.json. */
const CONTRACTS: Record<string, string> = {
  ResourceMarketplace: "contracts/core/ResourceMarketplace.sol",
  EscrowManager: "contracts/core/EscrowManager.sol",
  BookingRenewals: "contracts/core/BookingRenewals.sol",
  SLAEnforcement: "contracts/core/SLAEnforcement.sol",
  ReputationSystem: "contracts/core/ReputationSystem.sol",
  PriceOracle: "contracts/oracles/PriceOracle.sol",
  DCXToken: "contracts/token/DCXToken.sol",
  DAOGovernance: "contracts/governance/DAOGovernance.sol",
  RewardDistributor: "contracts/token/RewardDistributor.sol",
  ResourceVerifier: "contracts/core/ResourceVerifier.sol",
  GovernedPriceFeed: "contracts/oracles/GovernedPriceFeed.sol",
};

const root = new URL("../../", import.meta.url);
const output = new URL("../abis/", import.meta.url);
mkdirSync(output, { recursive: true });
for (const [name, file] of Object.entries(CONTRACTS)) {
  const artifact = new URL(`artifacts/${file}/${name}.json`, root);
  let abi: unknown;
  try {
    abi = JSON.parse(readFileSync(artifact, "utf8")).abi;
  } catch {
    throw new Error(`No artifact at ${fileURLToPath(artifact)}: run \`npm run compile\` at the repository root first.`);
  }
  writeFileSync(new URL(`${name}.json`, output), JSON.stringify(abi, null, 2) + "\n");
}
console.log(`Wrote ${Object.keys(CONTRACTS).length} ABIs to ${fileURLToPath(output)}`);
