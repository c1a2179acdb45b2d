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
import { type Abi, type Address, zeroAddress } from "viem";

const DEPLOYMENTS = process.env.DEPLOYMENTS_DIR ?? fileURLToPath(new URL("../deployments", import.meta.url));
const network = process.env.VITE_NETWORK ?? "localhost";
const LOCAL_CHAIN_ID = 31337;
const deployment = existsSync(`${DEPLOYMENTS}/${network}.json`) ? readDeployment(network, DEPLOYMENTS) : null;

/**
 * Without a deployment (a fresh clone, before `npm start`), the hooks are bound to the zero address
 * on the local chain so that the code type-checks the same; such a build renders only "not deployed".
 */
function address(contract: Address | undefined): Record<number, Address> {
  return deployment ? { [deployment.chainId]: contract! } : { [LOCAL_CHAIN_ID]: zeroAddress };
}

const contracts: { name: ContractName; abi: Abi }[] = [
  { name: "PriceOracle", abi: abis.priceOracleAbi },
  { name: "ReputationSystem", abi: abis.reputationSystemAbi },
  { name: "EscrowManager", abi: abis.escrowManagerAbi },
  { name: "ResourceMarketplace", abi: abis.resourceMarketplaceAbi },
  { name: "BookingRenewals", abi: abis.bookingRenewalsAbi },
  { name: "SLAEnforcement", abi: abis.sLAEnforcementAbi },
  { name: "DCXToken", abi: abis.dCXTokenAbi },
  { name: "RewardDistributor", abi: abis.rewardDistributorAbi },
  { name: "ResourceVerifier", abi: abis.resourceVerifierAbi },
  { name: "DAOGovernance", abi: abis.dAOGovernanceAbi },
];

export default defineConfig({
  out: "src/generated/contracts.ts",
  contracts: [
    ...contracts.map(({ name, abi }) => ({
      name,
      abi,
      address: address(deployment?.contracts[name].proxy as Address | undefined),
    })),
    {
      name: "Timelock",
      abi: abis.timelockControllerAbi,
      address: address(deployment?.governance.timelock as Address | undefined),
    },
  ],
  plugins: [actions(), react()],
});
