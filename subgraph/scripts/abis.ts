/**
 * Copies the ABIs of the indexed contracts from the Hardhat artifacts (`npm run compile` at the
 * repository root) to abis/, where the manifest points graph-cli, with the standard ERC-20 ABI
 * (viem's) for reading payment tokens' symbols and names. Never edit them by hand.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { erc20Abi } from "viem";

/** Contract name → source file, as in artifacts/<file>/<name>.json. */
const CONTRACTS: Record<string, string> = {
  ResourceMarketplace: "contracts/core/ResourceMarketplace.sol",
  EscrowManager: "contracts/core/EscrowManager.sol",
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
// Its functions only: graph-node's ABI reader wants `anonymous` on events, which viem leaves out.
const erc20Functions = erc20Abi.filter((item) => item.type === "function");
writeFileSync(new URL("ERC20.json", output), JSON.stringify(erc20Functions, null, 2) + "\n");
console.log(`Wrote ${Object.keys(CONTRACTS).length + 1} ABIs to ${fileURLToPath(output)}`);
