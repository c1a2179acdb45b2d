/**
 * Demo data for a local D-CloudX chain: providers with profiles and resources on IPFS (aws, azure,
 * gcp and local), bookings in every state paid in ETH, USDC, DAI and DCX, SLA reports with
 * violations, ratings, withdrawn earnings and a governance proposal open for voting.
 *
 * Everything goes through the contracts with the Hardhat node's unlocked accounts (#0–#9); the
 * providers and listings are in listings.ts. Bookings of `local` resources are left to the stack's
 * oracle node, which provisions real workloads for them; the cloud bookings' history is given by
 * the demo's own oracle (cloud-oracle.ts).
 *
 * The chain's clock is moved forward by a little over an hour (for completed bookings), so a chain
 * shared with others should not be seeded; the price feeds are refreshed afterwards.
 */
import { type Address, type Hex, parseEventLogs, parseUnits, zeroAddress } from "viem";

import { ipfsAdd } from "@d-cloudx/devstack/ipfs-add";
import {
  type Deployment,
  type SlaReport,
  accessKeyMessage,
  deriveAccessKeyPair,
  parseProviderProfile,
  parseResourceMetadata,
  slaReport,
} from "@d-cloudx/sdk";
import { escrowManagerAbi, mockERC20Abi, priceOracleAbi, resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";

import { demoChain } from "./chain.ts";
import { cloudOracle } from "./cloud-oracle.ts";
import { proposeFeeCut } from "./governance.ts";
import { ALICE, BOB, LISTINGS, LOOPBACK, NIMBUS, ORACLE, PROFILES, exampleFile } from "./listings.ts";

export { DEMO_ROLES } from "./listings.ts";

const HOUR = 3_600;

export interface DemoOptions {
  rpcUrl: string;
  ipfsApiUrl: string;
  deployment: Deployment;
  /** The unlocked accounts of the registered SLA signers (default: the local deployment's one oracle). */
  oracleAccounts?: number[];
  log?: (message: string) => void;
}

export interface DemoSummary {
  providers: number;
  resources: number;
  bookings: Record<string, number>;
  /** SLA periods settled by the demo's reports. */
  periodsReported: number;
  proposalId: bigint;
  /** A CID of resource metadata on IPFS. */
  metadataCid: string;
  /** The providers whose bookings an oracle node with the `local` adapter must serve. */
  oracleServes: Address[];
}

/** Seeds the local chain at `rpcUrl` with demo data; seeding it again adds another round. */
export async function seedDemo({
  rpcUrl,
  ipfsApiUrl,
  deployment,
  oracleAccounts = [ORACLE],
  log = () => {},
}: DemoOptions): Promise<DemoSummary> {
  const chain = await demoChain(rpcUrl, deployment);
  const { client, account, send, token } = chain;
  const marketplace = chain.contract("ResourceMarketplace");
  const escrow = chain.contract("EscrowManager");
  const add = (path: string, content: string | Uint8Array) => ipfsAdd(ipfsApiUrl, [{ path, content }]);

  // Stablecoins for the consumers.
  for (const consumer of [ALICE, BOB]) {
    for (const symbol of ["USDC", "DAI"]) {
      const { address, decimals } = token(symbol);
      await send(0, address as Address, mockERC20Abi, "mint", [account(consumer), parseUnits("100000", decimals)]);
    }
  }
  log(`Minted 100,000 USDC and DAI to accounts #${ALICE} and #${BOB}`);

  // Providers and their resources, documents on IPFS.
  const logo = await add("logo.svg", exampleFile("provider-logo.svg"));
  for (const [index, profile] of Object.entries(PROFILES)) {
    const text = JSON.stringify(Number(index) === NIMBUS ? { ...profile, logo } : profile);
    const parsed = parseProviderProfile(text);
    if (!parsed.ok) throw new Error(`Demo profile of #${index} is invalid: ${parsed.errors.join("; ")}`);
    const cid = await add("profile.json", text);
    const registered = await client.readContract({
      address: marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "providerRegisteredAt",
      args: [account(Number(index))],
    });
    // Seeding a chain again adds resources and bookings to the providers it already has.
    const action = registered === 0 ? "registerProvider" : "updateProviderProfile";
    await send(Number(index), marketplace, resourceMarketplaceAbi, action, [cid]);
  }
  const resourceIds: bigint[] = [];
  let metadataCid = "";
  for (const listing of LISTINGS) {
    const text = JSON.stringify(listing.metadata);
    const parsed = parseResourceMetadata(text);
    if (!parsed.ok) throw new Error(`Demo metadata "${listing.metadata.name}" is invalid: ${parsed.errors.join("; ")}`);
    metadataCid = await add("metadata.json", text);
    const receipt = await send(listing.provider, marketplace, resourceMarketplaceAbi, "listResource", [
      {
        metadataCid,
        region: parsed.value.region,
        kind: listing.kind,
        terms: {
          pricePerHourUsdE8: BigInt(Math.round(listing.pricePerHourUsd * 1e8)),
          capacity: listing.capacity ?? 10,
          minHours: 1,
          maxHours: 720,
          uptimeTargetBps: listing.uptimeTargetBps,
          maxLatencyMs: listing.maxLatencyMs,
          acceptedTokens: listing.tokens.map((symbol) => token(symbol).address as Address),
        },
      },
    ]);
    const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "ResourceListed" });
    resourceIds.push(event!.args.resourceId);
  }
  const [smallLoopback, largeLoopback, awsGpu, gcpVm, , s3Bucket, blobContainer, azureVm] = resourceIds as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  log(`Registered ${Object.keys(PROFILES).length} providers and listed ${resourceIds.length} resources`);

  // Consumers' access keys, derived from a wallet signature as the dApp derives them.
  const keys: Record<number, Hex> = {};
  for (const consumer of [ALICE, BOB]) {
    const signature = await chain
      .wallet(consumer)
      .signMessage({ message: accessKeyMessage(deployment.chainId, account(consumer)) });
    keys[consumer] = deriveAccessKeyPair(signature).publicKeyHex as Hex;
  }

  const consumerOf = new Map<bigint, number>();
  async function book(consumer: number, resourceId: bigint, hours: number, symbol: string): Promise<bigint> {
    const { address } = token(symbol);
    const resource = await client.readContract({
      address: marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "getResource",
      args: [resourceId],
    });
    const [price] = await client.readContract({
      address: chain.contract("PriceOracle"),
      abi: priceOracleAbi,
      functionName: "quote",
      args: [address as Address, resource.pricePerHourUsdE8 * BigInt(hours)],
    });
    const maxPayment = price + price / 100n;
    const native = address === zeroAddress;
    if (!native) await send(consumer, address as Address, mockERC20Abi, "approve", [escrow, maxPayment]);
    const receipt = await send(
      consumer,
      marketplace,
      resourceMarketplaceAbi,
      "book",
      [
        resourceId,
        hours,
        address as Address,
        maxPayment,
        // The consumer accepts the SLA the resource shows, and nothing looser.
        { uptimeTargetBps: resource.uptimeTargetBps, maxLatencyMs: resource.maxLatencyMs },
        keys[consumer]!,
      ],
      native ? maxPayment : undefined,
    );
    const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "BookingRequested" });
    consumerOf.set(event!.args.bookingId, consumer);
    return event!.args.bookingId;
  }

  const oracle = await cloudOracle(chain, ipfsApiUrl, oracleAccounts);
  const provision = (bookingId: bigint, host: string) =>
    oracle.provision(bookingId, account(consumerOf.get(bookingId)!), keys[consumerOf.get(bookingId)!]!, host);
  const met = (period: number) => ({ uptimeBps: 10_000, p95LatencyMs: 38 + period, sampleCount: 30 });

  // Bookings that run through time: two completed (with a violation each), one terminated.
  const gcpDone = await book(ALICE, gcpVm, 1, "USDC");
  const awsDone = await book(BOB, awsGpu, 1, "DCX");
  const azureTerminated = await book(ALICE, azureVm, 2, "ETH");
  await provision(gcpDone, "n2-demo-1.europe-west1.nimbus-compute.example.org");
  await provision(awsDone, "g5-demo-1.us-east-1.nimbus-compute.example.org");
  await provision(azureTerminated, "d4s-demo-1.westeurope.contoso-cloud.example.com");
  // Two periods later, one report of both periods for each booking.
  await chain.advance(2 * deployment.settings.slaPeriodSeconds + 1);
  const reports: SlaReport[] = [
    slaReport(gcpDone, 0, [met(0), { uptimeBps: 10_000, p95LatencyMs: 420, sampleCount: 30 }]),
    slaReport(awsDone, 0, [{ uptimeBps: 9_210, p95LatencyMs: 180, sampleCount: 30 }, met(1)]),
    slaReport(azureTerminated, 0, [met(0), { uptimeBps: 9_960, p95LatencyMs: 61, sampleCount: 30 }]),
  ];
  await oracle.report(reports);
  await send(ALICE, marketplace, resourceMarketplaceAbi, "terminateBooking", [azureTerminated]);
  // Past the end and the grace after it, when anyone may complete a booking.
  const grace = await client.readContract({ address: escrow, abi: escrowManagerAbi, functionName: "gracePeriod" });
  await chain.advance(HOUR + grace);
  await chain.refreshFeeds();
  for (const bookingId of [gcpDone, awsDone]) {
    await send(0, marketplace, resourceMarketplaceAbi, "completeBooking", [bookingId]);
  }
  await send(ALICE, marketplace, resourceMarketplaceAbi, "rateBooking", [gcpDone, 4]);
  await send(BOB, marketplace, resourceMarketplaceAbi, "rateBooking", [awsDone, 2]);
  await send(NIMBUS, escrow, escrowManagerAbi, "withdrawEarningsBatch", [[gcpDone, awsDone]]);
  log(`Bookings ${gcpDone} and ${awsDone} completed (with SLA violations) and rated, ${azureTerminated} terminated`);

  // Bookings as they stand now.
  const awsCancelled = await book(BOB, awsGpu, 3, "USDC");
  await send(BOB, marketplace, resourceMarketplaceAbi, "cancelBooking", [awsCancelled]);
  const azureRequested = await book(ALICE, azureVm, 8, "DAI");
  const gcpActive = await book(BOB, gcpVm, 24, "ETH");
  await provision(gcpActive, "n2-demo-2.europe-west1.nimbus-compute.example.org");
  // Left for the oracle node, which provisions real workloads for them.
  const loopbackBookings = [
    await book(ALICE, smallLoopback, 2, "ETH"),
    await book(BOB, largeLoopback, 1, "DCX"),
    await book(ALICE, blobContainer, 4, "USDC"),
    await book(BOB, s3Bucket, 4, "ETH"),
  ];
  log(
    `Booking ${awsCancelled} cancelled, ${azureRequested} requested, ${gcpActive} active; ` +
      `${loopbackBookings.join(" and ")} await the oracle node`,
  );

  const { proposalId, votes } = await proposeFeeCut(chain);
  log(`Proposal ${proposalId} is open for voting (${votes} votes cast)`);

  return {
    providers: Object.keys(PROFILES).length,
    resources: resourceIds.length,
    bookings: {
      requested: 1,
      active: 1,
      completed: 2,
      cancelled: 1,
      terminated: 1,
      "requested from the oracle node": loopbackBookings.length,
    },
    periodsReported: oracle.periodsReported,
    proposalId,
    metadataCid,
    oracleServes: [account(LOOPBACK)],
  };
}
