/**
 * Typed contract hooks for every D-CloudX contract, from the ABIs the sdk exports from the Hardhat
 * artifacts, bound to the addresses of deployments/<VITE_NETWORK or localhost>.json when present.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { type ContractName, readDeployment } from "@d-cloudx/sdk";
import * as abis from "@d-cloudx/sdk/abis";
import { defineConfig } from "@wagmi/cli";
import { actions, react } from "@wagmi/cli/plugins";
import type { Abi, Address } from "viem";

const DEPLOYMENTS = process.env.DEPLOYMENTS_DIR ?? fileURLToPath(new URL("../deployments", import.meta.url));
const network = process.env.VITE_NETWORK ?? "localhost";
const deployment = existsSync(`${DEPLOYMENTS}/${network}.json`) ? readDeployment(network, DEPLOYMENTS) : null;

function address(name: ContractName): Record<number, Address> | undefined {
  return deployment ? { [deployment.chainId]: deployment.contracts[name].proxy as Address } : undefined;
}

const contracts: { name: ContractName; abi: Abi }[] = [
  { name: "PriceOracle", abi: abis.priceOracleAbi },
  { name: "ReputationSystem", abi: abis.reputationSystemAbi },
  { name: "EscrowManager", abi: abis.escrowManagerAbi },
  { name: "ResourceMarketplace", abi: abis.resourceMarketplaceAbi },
  { name: "SLAEnforcement", abi: abis.sLAEnforcementAbi },
  { name: "DCXToken", abi: abis.dCXTokenAbi },
  { name: "RewardDistributor", abi: abis.rewardDistributorAbi },
  { name: "ResourceVerifier", abi: abis.resourceVerifierAbi },
  { name: "DAOGovernance", abi: abis.dAOGovernanceAbi },
];

export default defineConfig({
  out: "src/generated/contracts.ts",
  contracts: [
    ...contracts.map(({ name, abi }) => ({ name, abi, address: address(name) })),
    {
      name: "Timelock",
      abi: abis.timelockControllerAbi,
      address: deployment ? { [deployment.chainId]: deployment.governance.timelock as Address } : undefined,
    },
  ],
  plugins: [actions(), react()],
});
