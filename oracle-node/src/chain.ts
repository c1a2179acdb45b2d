/**
 * Chain access through viem: one HTTP client (JSON-RPC batching, timeouts, retries with backoff on
 * 429/5xx/timeouts, every failure counted), the node's account, the deployment's addresses and a
 * clock that tracks the chain's time.
 */
import { readFileSync } from "node:fs";

import { type Address, type Block, type Hex, type PublicClient, createPublicClient, defineChain, http } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

import { type Deployment, parseDeployment } from "@d-cloudx/sdk";
import { type Config, LOCAL_ORACLE_KEY } from "./config.ts";
import type { Metrics } from "./metrics.ts";

const HARDHAT_CHAIN_ID = 31337;

export interface Addresses {
  marketplace: Address;
  escrow: Address;
  sla: Address;
  verifier: Address;
  renewals: Address;
}

export interface ChainContext {
  client: PublicClient;
  account: PrivateKeyAccount;
  deployment: Deployment;
  chainId: number;
  addresses: Addresses;
  clock: ChainClock;
}

export function readDeploymentFile(file: string): Deployment {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`No deployment file at ${file}: deploy first (npm run deploy:local) or set ORACLE_DEPLOYMENTS`);
  }
  return parseDeployment(JSON.parse(text), file);
}

export async function connect(config: Config, metrics: Metrics): Promise<ChainContext> {
  const deployment = readDeploymentFile(config.deploymentsFile);
  const chain = defineChain({
    id: deployment.chainId,
    name: deployment.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const client = createPublicClient({
    chain,
    transport: http(config.rpcUrl, {
      batch: { batchSize: 200 },
      timeout: config.chain.requestTimeoutMs,
      retryCount: 4,
      retryDelay: 200,
      onFetchResponse(response) {
        if (!response.ok) metrics.rpcErrors.inc({ kind: String(response.status) });
      },
    }),
    pollingInterval: config.chain.pollIntervalMs,
  });
  const chainId = await client.getChainId();
  if (chainId !== deployment.chainId) {
    throw new Error(
      `${config.rpcUrl} is chain ${chainId}, but ${config.deploymentsFile} is for chain ${deployment.chainId}`,
    );
  }
  // Hardhat's public development key signs only on a local Hardhat chain, never on a real network
  // reached through a loopback RPC (an operator's own node).
  if (config.privateKey.reveal().toLowerCase() === LOCAL_ORACLE_KEY && chainId !== HARDHAT_CHAIN_ID) {
    throw new Error(`Chain ${chainId} is not a local Hardhat chain: set ORACLE_PRIVATE_KEY to the operator's key`);
  }
  const c = deployment.contracts;
  return {
    client,
    account: privateKeyToAccount(config.privateKey.reveal() as Hex),
    deployment,
    chainId,
    addresses: {
      marketplace: c.ResourceMarketplace.proxy as Address,
      escrow: c.EscrowManager.proxy as Address,
      sla: c.SLAEnforcement.proxy as Address,
      verifier: c.ResourceVerifier.proxy as Address,
      renewals: c.BookingRenewals.proxy as Address,
    },
    clock: new ChainClock(),
  };
}

/**
 * The chain's time, which SLA periods are measured in. It follows the wall clock between blocks,
 * offset by what the blocks say: a block whose timestamp is more than one second after its parent's
 * was stamped by its producer's clock and sets the offset (a block exactly one second later may
 * have been pushed forward by a burst of blocks on a local chain, and says nothing about the time).
 * It never reads earlier than the latest block.
 */
export class ChainClock {
  #offsetMs = 0;
  #headMs = 0;

  observe(block: Pick<Block, "timestamp">, parentTimestamp?: bigint, wallMs = Date.now()): void {
    const blockMs = Number(block.timestamp) * 1000;
    if (parentTimestamp === undefined || block.timestamp > parentTimestamp + 1n) this.#offsetMs = blockMs - wallMs;
    this.#headMs = Math.max(this.#headMs, blockMs);
  }

  nowMs(wallMs = Date.now()): number {
    return Math.max(this.#headMs, wallMs + this.#offsetMs);
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** After a rewind the chain may be earlier than before. */
  reset(): void {
    this.#headMs = 0;
  }
}

/** A one-line description of an error, without stack traces or request bodies. */
export function describeError(error: unknown): string {
  if (error && typeof error === "object" && "shortMessage" in error && typeof error.shortMessage === "string") {
    const details = "details" in error && typeof error.details === "string" ? `: ${error.details}` : "";
    return `${error.shortMessage}${details}`;
  }
  return error instanceof Error ? error.message : String(error);
}
