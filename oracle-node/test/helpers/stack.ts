/**
 * A real local stack for integration tests: a Hardhat node on a free port with D-CloudX deployed
 * (@d-cloudx/devstack), the local IPFS node in-process, and helpers to act as provider and consumer
 * (through the node's unlocked accounts) and to move the chain's clock.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { create, type KuboRPCClient } from "kubo-rpc-client";
import {
  type Address,
  type Hex,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Transport,
} from "viem";

import {
  TEST_ORACLE_SETTINGS,
  deployLocal,
  freePort,
  rpc as chainRpc,
  startChain,
  stopLocalWorkloads,
} from "@d-cloudx/devstack";
import { startIpfsNode, type IpfsNode } from "@d-cloudx/ipfs-node";
import {
  BookingStatus,
  type Deployment,
  accessKeyMessage,
  deriveAccessKeyPair,
  settledPeriods as settledPeriodsOf,
} from "@d-cloudx/sdk";
import {
  bookingRenewalsAbi,
  escrowManagerAbi,
  priceOracleAbi,
  resourceMarketplaceAbi,
  sLAEnforcementAbi,
} from "@d-cloudx/sdk/abis";
import { type Config, loadConfig } from "../../src/config.ts";
import type { OracleNode } from "../../src/node.ts";
import { Store } from "../../src/store/index.ts";

export { REPOSITORY, freePort } from "@d-cloudx/devstack";

export const LOCAL_METADATA = {
  version: 1,
  name: "Loopback test machine",
  cloud: "local",
  region: "local-test",
  instanceType: "loopback-http",
  vcpu: 1,
  memoryGib: 1,
  storage: { sizeGib: 1, type: "ssd" },
  network: { bandwidthGbps: 1 },
  osImages: ["node-22"],
};

/** An object storage listing on the local emulators (s3rver, Azurite). */
export const localStorageMetadata = (name: string, api: "s3" | "azure-blob", storageClass: string) => ({
  version: 1,
  service: "object-storage",
  name,
  cloud: "local",
  region: "local",
  api,
  storageClass,
  redundancy: "single-zone",
  capacityGib: 1,
  includedEgressGib: 1,
});

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const walletOf = (account: Address, transport: Transport) => createWalletClient({ account, transport });

export interface Stack {
  rpcUrl: string;
  port: number;
  deploymentsFile: string;
  deployment: Deployment;
  ipfs: IpfsNode;
  ipfsClient: KuboRPCClient;
  publicClient: PublicClient;
  accounts: Address[];
  workDir: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  wallet(account: Address): ReturnType<typeof walletOf>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const workDir = mkdtempSync(join(tmpdir(), "dcloudx-oracle-test-"));
  const port = await freePort();
  const chain = await startChain({ port, logFile: join(workDir, "chain.log") });
  const rpcUrl = chain.rpcUrl;
  const rpc = <T>(method: string, params: unknown[] = []) => chainRpc<T>(rpcUrl, method, params);
  let deployment: Deployment;
  let ipfs: IpfsNode;
  try {
    deployment = await deployLocal(port, workDir);
    ipfs = await startIpfsNode({ port: 0, dataDir: join(workDir, "ipfs") });
  } catch (error) {
    // The suite's `after` has no stack to stop: leave no chain behind.
    await chain.stop();
    throw error;
  }
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport, pollingInterval: 100 });
  const accounts = await rpc<Address[]>("eth_accounts");
  return {
    rpcUrl,
    port,
    deploymentsFile: join(workDir, "localhost.json"),
    deployment,
    ipfs,
    ipfsClient: create({ url: `${ipfs.url}/api/v0` }),
    publicClient,
    accounts,
    workDir,
    rpc,
    wallet: (account) => walletOf(account, transport),
    async stop() {
      await ipfs.close();
      await chain.stop();
      stopLocalWorkloads(workDir, "SIGKILL");
      // ORACLE_TEST_KEEP=1 keeps the nodes' state and logs for a look after a failure.
      if (process.env.ORACLE_TEST_KEEP) console.log(`test stack kept in ${workDir}`);
      else rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `node` holds at least `count` probe samples (failed ones only, with `failed`) of a booking. */
export function samplesTaken(node: OracleNode, bookingId: bigint, count: number, failed = false): Promise<true> {
  return waitFor(`${count} ${failed ? "failed " : ""}samples of booking ${bookingId}`, () =>
    node.store.samples.count(String(bookingId), { failedOnly: failed }) >= count ? true : undefined,
  );
}

/** The environment that points a node (in a child process) at the stack, with its state in `dataDir`. */
export function nodeEnv(stack: Stack, dataDir: string): NodeJS.ProcessEnv {
  return {
    ORACLE_CONFIG: join(dataDir, "config.json"),
    ORACLE_RPC_URL: stack.rpcUrl,
    ORACLE_DEPLOYMENTS: stack.deploymentsFile,
    ORACLE_IPFS_API_URL: stack.ipfs.url,
    ORACLE_DATA_DIR: dataDir,
  };
}

/** A node configuration for tests: fast loops, no confirmations, the stack's chain and IPFS. */
export function testConfig(
  stack: Stack,
  dataDir: string,
  file: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): Config {
  const configFile = join(dataDir, "config.json");
  const merged = { ...TEST_ORACLE_SETTINGS, ...file };
  writeFileSync(configFile, JSON.stringify(merged));
  return loadConfig({ ...nodeEnv(stack, dataDir), ...env });
}

export interface Market {
  provider: Address;
  resourceId: bigint;
}

/** Registers `provider` (if needed) and lists a resource whose metadata document is `metadata`. */
export async function listResource(
  stack: Stack,
  provider: Address,
  metadata: unknown = LOCAL_METADATA,
  terms: { uptimeTargetBps?: number; maxLatencyMs?: number; capacity?: number } = {},
): Promise<Market> {
  const { publicClient } = stack;
  const marketplace = stack.deployment.contracts.ResourceMarketplace.proxy as Address;
  const wallet = stack.wallet(provider);
  const text = typeof metadata === "string" ? metadata : JSON.stringify(metadata);
  const { cid } = await stack.ipfsClient.add(text, { cidVersion: 1 });
  const registered = await publicClient.readContract({
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "providerRegisteredAt",
    args: [provider],
  });
  if (registered === 0) {
    await mined(
      stack,
      await wallet.writeContract({
        chain: null,
        address: marketplace,
        abi: resourceMarketplaceAbi,
        functionName: "registerProvider",
        args: [cid.toString()],
      }),
    );
  }
  const hash = await wallet.writeContract({
    chain: null,
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "listResource",
    args: [
      {
        metadataCid: cid.toString(),
        region: "local-test",
        kind: 0,
        terms: {
          pricePerHourUsdE8: 100_000_000n,
          capacity: terms.capacity ?? 100,
          minHours: 1,
          maxHours: 24,
          uptimeTargetBps: terms.uptimeTargetBps ?? 9_900,
          maxLatencyMs: terms.maxLatencyMs ?? 1_000,
          acceptedTokens: ["0x0000000000000000000000000000000000000000"],
        },
      },
    ],
  });
  const receipt = await mined(stack, hash);
  const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "ResourceListed" });
  return { provider, resourceId: event!.args.resourceId };
}

export interface Booked {
  bookingId: bigint;
  consumer: Address;
  privateKey: Uint8Array;
  amount: bigint;
}

/** Books `hours` of a resource in ETH, with the consumer's wallet-derived access key. */
export async function book(stack: Stack, consumer: Address, resourceId: bigint, hours = 1): Promise<Booked> {
  const { publicClient, deployment } = stack;
  const wallet = stack.wallet(consumer);
  const signature = await wallet.signMessage({
    account: consumer,
    message: accessKeyMessage(deployment.chainId, consumer),
  });
  const keys = deriveAccessKeyPair(signature);
  const [price] = await publicClient.readContract({
    address: deployment.contracts.PriceOracle.proxy as Address,
    abi: priceOracleAbi,
    functionName: "quote",
    args: ["0x0000000000000000000000000000000000000000", 100_000_000n * BigInt(hours)],
  });
  const marketplace = deployment.contracts.ResourceMarketplace.proxy as Address;
  // The SLA the consumer was shown: the resource's own terms.
  const resource = await publicClient.readContract({
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "getResource",
    args: [resourceId],
  });
  const minSla = { uptimeTargetBps: resource.uptimeTargetBps, maxLatencyMs: resource.maxLatencyMs };
  const hash = await wallet.writeContract({
    chain: null,
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "book",
    args: [resourceId, hours, "0x0000000000000000000000000000000000000000", price, minSla, keys.publicKeyHex],
    value: price,
  });
  const receipt = await mined(stack, hash);
  const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "BookingRequested" });
  return { bookingId: event!.args.bookingId, consumer, privateKey: keys.privateKey, amount: price };
}

/** The consumer extends a booking by `hours`, paying in ETH at the resource's current price. */
export async function extendBooking(stack: Stack, consumer: Address, bookingId: bigint, hours = 1) {
  const marketplace = stack.deployment.contracts.ResourceMarketplace.proxy as Address;
  const { resourceId } = await stack.publicClient.readContract({
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "getBooking",
    args: [bookingId],
  });
  const resource = await stack.publicClient.readContract({
    address: marketplace,
    abi: resourceMarketplaceAbi,
    functionName: "getResource",
    args: [BigInt(resourceId)],
  });
  const price = (await hourlyPrice(stack, resource.pricePerHourUsdE8)) * BigInt(hours);
  return mined(
    stack,
    await stack.wallet(consumer).writeContract({
      chain: null,
      address: marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "extendBooking",
      args: [
        bookingId,
        hours,
        "0x0000000000000000000000000000000000000000",
        price,
        { uptimeTargetBps: resource.uptimeTargetBps, maxLatencyMs: resource.maxLatencyMs },
      ],
      value: price,
    }),
  );
}

/**
 * The consumer's renewal policy for a booking of the test resource: one hour per renewal, a budget
 * of `renewals` hours, paid from an ETH renewal balance deposited for three.
 */
export async function autoRenew(stack: Stack, consumer: Address, bookingId: bigint, renewals: number) {
  const price = await hourlyPrice(stack, 100_000_000n);
  const address = stack.deployment.contracts.BookingRenewals.proxy as Address;
  const wallet = stack.wallet(consumer);
  await mined(
    stack,
    await wallet.writeContract({
      chain: null,
      address,
      abi: bookingRenewalsAbi,
      functionName: "depositRenewalBalance",
      value: price * 3n,
    }),
  );
  await mined(
    stack,
    await wallet.writeContract({
      chain: null,
      address,
      abi: bookingRenewalsAbi,
      functionName: "setRenewalPolicy",
      args: [bookingId, 1, 100_000_000n, price * BigInt(renewals)],
    }),
  );
}

/** Every BookingRenewed event of a booking so far. */
export async function renewedEvents(stack: Stack, bookingId: bigint) {
  const renewals = stack.deployment.contracts.BookingRenewals.proxy;
  return (await eventsOf(stack, renewals, bookingRenewalsAbi, "BookingRenewed")).filter(
    (e) => e.args.bookingId === bookingId,
  );
}

/** An hour of a resource priced `pricePerHourUsdE8`, in wei at the price feed's current rate. */
export async function hourlyPrice(stack: Stack, pricePerHourUsdE8: bigint): Promise<bigint> {
  const [price] = await stack.publicClient.readContract({
    address: stack.deployment.contracts.PriceOracle.proxy as Address,
    abi: priceOracleAbi,
    functionName: "quote",
    args: ["0x0000000000000000000000000000000000000000", pricePerHourUsdE8],
  });
  return price;
}

export async function mined(stack: Stack, hash: Hex) {
  const receipt = await stack.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

export async function bookingStatus(stack: Stack, bookingId: bigint): Promise<number> {
  const booking = await stack.publicClient.readContract({
    address: stack.deployment.contracts.ResourceMarketplace.proxy as Address,
    abi: resourceMarketplaceAbi,
    functionName: "getBooking",
    args: [bookingId],
  });
  return booking.status;
}

/** Waits until the booking is active on chain (confirmed by the oracles' quorum). */
export function activated(stack: Stack, bookingId: bigint, timeoutMs?: number): Promise<true> {
  return waitFor(
    `booking ${bookingId} to be active`,
    async () => (await bookingStatus(stack, bookingId)) === BookingStatus.Active || undefined,
    timeoutMs,
  );
}

export async function streamOf(stack: Stack, bookingId: bigint) {
  return stack.publicClient.readContract({
    address: stack.deployment.contracts.EscrowManager.proxy as Address,
    abi: escrowManagerAbi,
    functionName: "streamOf",
    args: [bookingId],
  });
}

/** Mines a block `seconds` after the latest one; later blocks follow from there. */
export async function advanceChain(stack: Stack, seconds: number): Promise<void> {
  const latest = await stack.publicClient.getBlock({ blockTag: "latest" });
  await stack.rpc("evm_setNextBlockTimestamp", [Number(latest.timestamp) + seconds]);
  await stack.rpc("evm_mine");
}

/** Every log of `eventName` from `abi` at `address` so far. */
/** Every settled SLA period, one entry per period of each SlaPeriodsSettled event. */
export async function settledPeriods(stack: Stack) {
  const events = await eventsOf(
    stack,
    stack.deployment.contracts.SLAEnforcement.proxy,
    sLAEnforcementAbi,
    "SlaPeriodsSettled",
  );
  return events.flatMap((e) =>
    settledPeriodsOf(e.args as Parameters<typeof settledPeriodsOf>[0]).map((settled) => ({
      ...e,
      args: { ...e.args, ...settled } as Record<string, unknown>,
    })),
  );
}

export async function eventsOf<const A extends readonly unknown[]>(
  stack: Stack,
  address: string,
  abi: A,
  eventName: string,
) {
  const logs = await stack.publicClient.getLogs({ address: address as Address, fromBlock: 0n, toBlock: "latest" });
  return parseEventLogs({ abi: abi as never, logs, eventName: eventName as never }) as unknown as {
    args: Record<string, unknown>;
    blockNumber: bigint;
    transactionHash: Hex;
  }[];
}

/** The booking's BookingProvisioned events (more than one would mean it was confirmed twice). */
export async function provisionedEvents(stack: Stack, bookingId: bigint) {
  const marketplace = stack.deployment.contracts.ResourceMarketplace.proxy;
  const events = await eventsOf(stack, marketplace, resourceMarketplaceAbi, "BookingProvisioned");
  return events.filter((e) => e.args.bookingId === bookingId);
}

/** The encrypted access details a BookingProvisioned event points at, read from IPFS. */
export async function sealedAccessDetails(stack: Stack, provisioned: { args: Record<string, unknown> }) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stack.ipfsClient.cat(provisioned.args.accessDetailsCid as string)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A node's state file, opened while the node is stopped. */
export function openState(dataDir: string): Store {
  return new Store(
    join(
      dataDir,
      readdirSync(dataDir).find((f) => f.endsWith(".sqlite"))!,
    ),
  );
}

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** An oracle node as a process of its own (`env` from `nodeEnv`), to be killed and restarted. */
export function nodeProcess(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}
