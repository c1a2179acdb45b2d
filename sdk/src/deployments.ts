import { readFileSync } from "node:fs";
import { join } from "node:path";

import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");

/** One upgradeable contract: its proxy (the address to use), implementation and first block. */
export const contractDeploymentSchema = z.object({
  proxy: address,
  implementation: address,
  startBlock: z.number().int().nonnegative(),
});

/** A payment token accepted by the PriceOracle; `address(0)` is the native currency. */
export const paymentTokenSchema = z.object({
  symbol: z.string().min(1),
  address,
  decimals: z.number().int().min(0).max(36),
  tokenId: z.number().int().min(0).max(63),
  priceFeed: address,
});

/** `deployments/<network>.json`: the one record of where D-CloudX lives on a network. */
export const deploymentSchema = z.object({
  network: z.string().min(1),
  chainId: z.number().int().positive(),
  deployedAt: z.iso.datetime(),
  contracts: z.object({
    PriceOracle: contractDeploymentSchema,
    ReputationSystem: contractDeploymentSchema,
    EscrowManager: contractDeploymentSchema,
    ResourceMarketplace: contractDeploymentSchema,
    SLAEnforcement: contractDeploymentSchema,
    BookingRenewals: contractDeploymentSchema,
    DCXToken: contractDeploymentSchema,
    RewardDistributor: contractDeploymentSchema,
    ResourceVerifier: contractDeploymentSchema,
    DAOGovernance: contractDeploymentSchema,
  }),
  /** The DAO: the timelock holds every admin and upgrader role; the governor proposes to it. */
  governance: z.object({
    timelock: address,
    timelockStartBlock: z.number().int().nonnegative(),
    timelockDelaySeconds: z.number().int().nonnegative(),
    votingDelaySeconds: z.number().int().nonnegative(),
    votingPeriodSeconds: z.number().int().positive(),
    quorumPercent: z.number().int().min(0).max(100),
    /** DCX (wei, decimal string) needed to propose. */
    proposalThreshold: z.string().regex(/^\d+$/),
  }),
  paymentTokens: z.array(paymentTokenSchema),
  settings: z.object({
    slaPeriodSeconds: z.number().int().positive(),
    reportWindowSeconds: z.number().int().positive(),
    provisionTimeoutSeconds: z.number().int().positive(),
    protocolFeeBps: z.number().int().min(0).max(10_000),
  }),
});

export type ContractDeployment = z.infer<typeof contractDeploymentSchema>;
export type PaymentTokenDeployment = z.infer<typeof paymentTokenSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type ContractName = keyof Deployment["contracts"];

/** Validates a parsed deployment document, with a message naming every wrong field. */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  const result = deploymentSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`${source} is not a valid D-CloudX deployment:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

/** Reads and validates `deployments/<network>.json` under `directory`. */
export function readDeployment(network: string, directory = "deployments"): Deployment {
  const file = join(directory, `${network}.json`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`No deployment for network "${network}" at ${file}: deploy first (npm run deploy:local).`);
  }
  return parseDeployment(JSON.parse(text), file);
}
