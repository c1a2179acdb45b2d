/**
 * EIP-170: the most runtime bytecode a contract may have on Ethereum and its rollups. Nothing in
 * the compiler or the local test network enforces it, so the deployed contracts are checked here.
 */
import { deploymentSchema } from "@d-cloudx/sdk";

export const EIP170_LIMIT_BYTES = 24_576;

/** Every contract a deployment puts on chain: the proxied ones, the DAO's timelock and DCX's feed. */
export const DEPLOYED_CONTRACTS = [
  ...Object.keys(deploymentSchema.shape.contracts.shape),
  "TimelockController",
  "GovernedPriceFeed",
];

export interface ContractSize {
  name: string;
  bytes: number;
  /** Bytes left under the limit (negative: over it). */
  headroom: number;
}

/** Runtime sizes of `names`, read from their build artifacts. */
export async function runtimeSizes(
  names: string[],
  readArtifact: (name: string) => Promise<{ deployedBytecode: string }>,
): Promise<ContractSize[]> {
  const sizes: ContractSize[] = [];
  for (const name of names) {
    const { deployedBytecode } = await readArtifact(name);
    const bytes = (deployedBytecode.length - 2) / 2;
    sizes.push({ name, bytes, headroom: EIP170_LIMIT_BYTES - bytes });
  }
  return sizes;
}
