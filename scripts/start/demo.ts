/**
 * Demo data for a local D-CloudX chain: providers with profiles and resources on IPFS (aws, azure,
 * gcp and local), bookings in every state paid in ETH, USDC, DAI and DCX, SLA reports with
 * violations, ratings, withdrawn earnings and a governance proposal open for voting.
 *
 * Everything goes through the contracts with the Hardhat node's unlocked accounts (#0–#9):
 * - #3 "Loopback Labs" lists `local` resources, which the running oracle node provisions for real;
 * - #4 and #5 list aws, azure and gcp machines. No cloud account is behind them locally, so the
 *   demo itself plays their oracle with the local oracle key (#2, a quorum of one): it signs
 *   provisioning confirmations, with access details encrypted to the consumer's wallet-derived
 *   key, and SLA reports with EIP-712 exactly as the oracle node does;
 * - #6 and #7 are consumers; #0–#9 hold DCX votes.
 *
 * The chain's clock is moved forward by a little over an hour (for completed bookings), so a chain
 * shared with others should not be seeded; the price feeds are refreshed afterwards.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  parseEventLogs,
  parseUnits,
  zeroAddress,
} from "viem";

import {
  type AccessDetails,
  type Deployment,
  type SlaReport,
  accessKeyMessage,
  deriveAccessKeyPair,
  encryptAccessDetails,
  parseProviderProfile,
  parseResourceMetadata,
  provisioningTypes,
  slaDomain,
  slaReportTypes,
} from "@d-cloudx/sdk";
import {
  dAOGovernanceAbi,
  escrowManagerAbi,
  mockERC20Abi,
  mockV3AggregatorAbi,
  priceOracleAbi,
  resourceMarketplaceAbi,
  sLAEnforcementAbi,
} from "@d-cloudx/sdk/abis";

import { rpc } from "../services/chain.ts";
import { ipfsAdd } from "./ipfs.ts";

const EXAMPLES = fileURLToPath(new URL("../../sdk/examples/", import.meta.url));

/** Roles of the Hardhat accounts in the demo (indexes into the node's accounts). */
export const DEMO_ROLES: Record<number, string> = {
  0: "deployer, guardian, DAO voter",
  2: "oracle node (SLA signer, provisioning, verifier)",
  3: "provider Loopback Labs (local resources, served by the oracle node)",
  4: "provider Nimbus Compute Cooperative (aws, gcp)",
  5: "provider Contoso Cloud Partners (azure)",
  6: "consumer",
  7: "consumer",
};

const ORACLE = 2;
const LOOPBACK = 3;
const NIMBUS = 4;
const CONTOSO = 5;
const ALICE = 6;
const BOB = 7;

const HOUR = 3_600;

const ResourceKind = { VirtualMachine: 0, GpuMachine: 1, Storage: 2, BareMetal: 3, Container: 4 } as const;

interface Listing {
  provider: number;
  metadata: Record<string, unknown>;
  kind: number;
  pricePerHourUsd: number;
  tokens: string[];
  uptimeTargetBps: number;
  maxLatencyMs: number;
  capacity?: number;
}

const example = (name: string) => JSON.parse(readFileSync(`${EXAMPLES}${name}`, "utf8")) as Record<string, unknown>;

/** A loopback HTTP workload, as the oracle node's `local` adapter runs it. */
const loopback = (name: string, vcpu: number, memoryGib: number, sizeGib: number) => ({
  version: 1,
  name,
  description:
    "An HTTP workload on the oracle operator's own machine, provisioned on booking: a bearer-token " +
    "protected file store you reach with the access details in your dashboard.",
  cloud: "local",
  region: "local",
  instanceType: "loopback-http",
  vcpu,
  memoryGib,
  storage: { sizeGib, type: "ssd" },
  network: { bandwidthGbps: 1 },
  osImages: ["node-22"],
  tags: ["http", "file-store"],
});

const LISTINGS: Listing[] = [
  {
    provider: LOOPBACK,
    metadata: loopback("Loopback file store, small", 1, 1, 1),
    kind: ResourceKind.Container,
    pricePerHourUsd: 0.5,
    tokens: ["ETH", "USDC", "DAI", "DCX"],
    uptimeTargetBps: 9_900,
    maxLatencyMs: 500,
    capacity: 50,
  },
  {
    provider: LOOPBACK,
    metadata: loopback("Loopback file store, large", 2, 4, 20),
    kind: ResourceKind.Container,
    pricePerHourUsd: 1.2,
    tokens: ["ETH", "USDC", "DCX"],
    uptimeTargetBps: 9_950,
    maxLatencyMs: 250,
    capacity: 20,
  },
  {
    provider: NIMBUS,
    metadata: example("aws-g5-xlarge.json"),
    kind: ResourceKind.GpuMachine,
    pricePerHourUsd: 1.4,
    tokens: ["ETH", "USDC", "DCX"],
    uptimeTargetBps: 9_950,
    maxLatencyMs: 200,
  },
  {
    provider: NIMBUS,
    metadata: example("gcp-n2-standard-8.json"),
    kind: ResourceKind.VirtualMachine,
    pricePerHourUsd: 0.45,
    tokens: ["ETH", "USDC", "DAI"],
    uptimeTargetBps: 9_900,
    maxLatencyMs: 150,
  },
  {
    provider: NIMBUS,
    metadata: example("local-workstation.json"),
    kind: ResourceKind.BareMetal,
    pricePerHourUsd: 0.9,
    tokens: ["USDC", "DAI"],
    uptimeTargetBps: 9_500,
    maxLatencyMs: 0,
    capacity: 1,
  },
  {
    provider: CONTOSO,
    metadata: example("azure-standard-d4s-v5.json"),
    kind: ResourceKind.VirtualMachine,
    pricePerHourUsd: 0.25,
    tokens: ["ETH", "USDC", "DAI", "DCX"],
    uptimeTargetBps: 9_990,
    maxLatencyMs: 100,
  },
];

const CONTOSO_PROFILE = {
  version: 1,
  displayName: "Contoso Cloud Partners",
  website: "https://contoso-cloud.example.com",
  contact: "hello@contoso-cloud.example.com",
  description: "Reserved Azure capacity resold by the hour, in West Europe.",
};

const LOOPBACK_PROFILE = {
  version: 1,
  displayName: "Loopback Labs",
  contact: "ops@loopback-labs.example.net",
  description: "Runs the demo's oracle node: every booking gets a real workload on this machine.",
};

export interface DemoOptions {
  rpcUrl: string;
  ipfsApiUrl: string;
  deployment: Deployment;
  log?: (message: string) => void;
}

export interface DemoSummary {
  providers: number;
  resources: number;
  bookings: Record<string, number>;
  reports: number;
  proposalId: bigint;
  /** A CID of resource metadata on IPFS. */
  metadataCid: string;
}

/** Adds one document to IPFS; returns its CID. */
const addToIpfs = (ipfsApiUrl: string, content: string | Uint8Array, path: string) =>
  ipfsAdd(ipfsApiUrl, [{ path, content }]);

/** Seeds the local chain at `rpcUrl` with demo data; seeding it again adds another round. */
export async function seedDemo({ rpcUrl, ipfsApiUrl, deployment, log = () => {} }: DemoOptions): Promise<DemoSummary> {
  if (deployment.chainId !== 31337) throw new Error(`Demo data is for local chains (31337), not ${deployment.chainId}`);
  const transport = http(rpcUrl);
  const client: PublicClient = createPublicClient({ transport, pollingInterval: 50 });
  const accounts = await rpc<Address[]>(rpcUrl, "eth_accounts");
  if (accounts.length < 10)
    throw new Error(`The chain at ${rpcUrl} unlocks ${accounts.length} accounts; 10 are needed`);
  const account = (index: number) => accounts[index] as Address;
  const contract = (name: keyof Deployment["contracts"]) => deployment.contracts[name].proxy as Address;
  const token = (symbol: string) => {
    const found = deployment.paymentTokens.find((t) => t.symbol === symbol);
    if (!found) throw new Error(`The deployment has no ${symbol} payment token`);
    return found;
  };
  const marketplace = contract("ResourceMarketplace");
  const escrow = contract("EscrowManager");

  async function send<const A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">>(
    from: number,
    address: Address,
    abi: A,
    functionName: F,
    args: ContractFunctionArgs<A, "nonpayable" | "payable", F>,
    value?: bigint,
  ) {
    const wallet = createWalletClient({ account: account(from), transport });
    const hash = await wallet.writeContract({ chain: null, address, abi, functionName, args, value } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} from account #${from} reverted (${hash})`);
    return receipt;
  }

  async function advance(seconds: number) {
    await rpc(rpcUrl, "evm_increaseTime", [seconds]);
    await rpc(rpcUrl, "evm_mine");
  }

  /** Republishes the mock feeds' prices, so that they stay within their heartbeat after a time jump. */
  async function refreshFeeds() {
    for (const { symbol, priceFeed } of deployment.paymentTokens) {
      if (symbol === "DCX") continue; // A DAO-governed feed with a year-long heartbeat.
      const [, answer] = await client.readContract({
        address: priceFeed as Address,
        abi: mockV3AggregatorAbi,
        functionName: "latestRoundData",
      });
      await send(0, priceFeed as Address, mockV3AggregatorAbi, "updateAnswer", [answer]);
    }
  }

  // Stablecoins for the consumers.
  for (const consumer of [ALICE, BOB]) {
    for (const symbol of ["USDC", "DAI"]) {
      const { address, decimals } = token(symbol);
      await send(0, address as Address, mockERC20Abi, "mint", [account(consumer), parseUnits("100000", decimals)]);
    }
  }
  log(`Minted 100,000 USDC and DAI to accounts #${ALICE} and #${BOB}`);

  // Providers and their resources, documents on IPFS.
  const logo = await addToIpfs(ipfsApiUrl, readFileSync(`${EXAMPLES}provider-logo.svg`), "logo.svg");
  const profiles: Record<number, unknown> = {
    [LOOPBACK]: LOOPBACK_PROFILE,
    [NIMBUS]: { ...example("provider-profile.json"), logo },
    [CONTOSO]: CONTOSO_PROFILE,
  };
  for (const [index, profile] of Object.entries(profiles)) {
    const text = JSON.stringify(profile);
    const parsed = parseProviderProfile(text);
    if (!parsed.ok) throw new Error(`Demo profile of #${index} is invalid: ${parsed.errors.join("; ")}`);
    const cid = await addToIpfs(ipfsApiUrl, text, "profile.json");
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
    metadataCid = await addToIpfs(ipfsApiUrl, text, "metadata.json");
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
  const [smallLoopback, largeLoopback, awsGpu, gcpVm, , azureVm] = resourceIds as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  log(`Registered 3 providers and listed ${resourceIds.length} resources`);

  // Consumers' access keys, derived from a wallet signature as the dApp derives them.
  const keys: Record<number, Hex> = {};
  for (const consumer of [ALICE, BOB]) {
    const wallet = createWalletClient({ account: account(consumer), transport });
    const signature = await wallet.signMessage({ message: accessKeyMessage(deployment.chainId, account(consumer)) });
    keys[consumer] = deriveAccessKeyPair(signature).publicKeyHex as Hex;
  }

  const bookingConsumer = new Map<bigint, number>();
  async function book(consumer: number, resourceId: bigint, hours: number, symbol: string): Promise<bigint> {
    const { address } = token(symbol);
    const resource = await client.readContract({
      address: marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "getResource",
      args: [resourceId],
    });
    const [price] = await client.readContract({
      address: contract("PriceOracle"),
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
    bookingConsumer.set(event!.args.bookingId, consumer);
    return event!.args.bookingId;
  }

  const sla = contract("SLAEnforcement");
  const oracleWallet = createWalletClient({ account: account(ORACLE), transport });

  /** Confirms a cloud booking as its oracle, with access details only the consumer can decrypt. */
  async function provision(bookingId: bigint, host: string) {
    const details: AccessDetails = {
      protocol: "ssh",
      host,
      port: 22,
      user: "ubuntu",
      credentials: { kind: "password", secret: `demo-${bookingId}-${crypto.randomUUID()}` },
    };
    const consumer = bookingConsumer.get(bookingId)!;
    const envelope = encryptAccessDetails(keys[consumer]!, details);
    const cid = await addToIpfs(ipfsApiUrl, JSON.stringify(envelope), "access.json");
    // The local oracle signer set has a quorum of one: the oracle key's signature starts billing.
    const signature = await oracleWallet.signTypedData({
      domain: slaDomain(deployment.chainId, sla) as never,
      types: provisioningTypes,
      primaryType: "Provisioning",
      message: { bookingId, consumer: account(consumer), accessDetailsCid: cid },
    });
    await send(ORACLE, marketplace, resourceMarketplaceAbi, "confirmProvisioning", [bookingId, cid, [signature]]);
  }

  let reports = 0;
  /** Signs period reports with the oracle key (EIP-712, as the oracle node signs) and submits them. */
  async function report(list: SlaReport[]) {
    const signatures: Hex[][] = [];
    for (const item of list) {
      signatures.push([
        await oracleWallet.signTypedData({
          domain: slaDomain(deployment.chainId, sla) as never,
          types: slaReportTypes,
          primaryType: "SlaReport",
          message: item,
        }),
      ]);
    }
    await send(ORACLE, sla, sLAEnforcementAbi, "submitReports", [list, signatures]);
    reports += list.length;
  }
  const met = (bookingId: bigint, period: number): SlaReport => ({
    bookingId,
    period,
    uptimeBps: 10_000,
    p95LatencyMs: 38 + period,
    sampleCount: 30,
  });

  // Bookings that run through time: two completed (with a violation each), one terminated.
  const gcpDone = await book(ALICE, gcpVm, 1, "USDC");
  const awsDone = await book(BOB, awsGpu, 1, "DCX");
  const azureTerminated = await book(ALICE, azureVm, 2, "ETH");
  await provision(gcpDone, "n2-demo-1.europe-west1.nimbus-compute.example.org");
  await provision(awsDone, "g5-demo-1.us-east-1.nimbus-compute.example.org");
  await provision(azureTerminated, "d4s-demo-1.westeurope.contoso-cloud.example.com");
  const period = deployment.settings.slaPeriodSeconds;
  await advance(period + 1);
  await report([
    met(gcpDone, 0),
    { bookingId: awsDone, period: 0, uptimeBps: 9_210, p95LatencyMs: 180, sampleCount: 30 },
    met(azureTerminated, 0),
  ]);
  await advance(period);
  await report([
    { bookingId: gcpDone, period: 1, uptimeBps: 10_000, p95LatencyMs: 420, sampleCount: 30 },
    met(awsDone, 1),
    { bookingId: azureTerminated, period: 1, uptimeBps: 9_960, p95LatencyMs: 61, sampleCount: 30 },
  ]);
  await send(ALICE, marketplace, resourceMarketplaceAbi, "terminateBooking", [azureTerminated]);
  await advance(HOUR);
  await refreshFeeds();
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
  const loopbackBookings = [await book(ALICE, smallLoopback, 2, "ETH"), await book(BOB, largeLoopback, 1, "DCX")];
  log(
    `Booking ${awsCancelled} cancelled, ${azureRequested} requested, ${gcpActive} active; ` +
      `${loopbackBookings.join(" and ")} await the oracle node`,
  );

  // A proposal to lower the protocol fee, open for voting.
  const governor = deployment.contracts.DAOGovernance.proxy as Address;
  const settings = await client.readContract({ address: escrow, abi: escrowManagerAbi, functionName: "settings" });
  const targets = [escrow];
  const values = [0n];
  const calldatas = [
    encodeFunctionData({
      abi: escrowManagerAbi,
      functionName: "updateSettings",
      args: [{ ...settings, protocolFeeBps: Math.floor(settings.protocolFeeBps / 2) }],
    }),
  ];
  const description =
    `# Halve the protocol fee to ${Math.floor(settings.protocolFeeBps / 2) / 100} %\n\n` +
    "Cheaper bookings bring more consumers, and more bookings more fees.\n\n" +
    // Proposals are identified by their content: a second seeding proposes anew.
    `Proposed at block ${await client.getBlockNumber()}.`;
  const receipt = await send(0, governor, dAOGovernanceAbi, "propose", [targets, values, calldatas, description]);
  const [proposed] = parseEventLogs({ abi: dAOGovernanceAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  const proposalId = proposed!.args.proposalId;
  const votingDelay = await client.readContract({
    address: governor,
    abi: dAOGovernanceAbi,
    functionName: "votingDelay",
  });
  await advance(Number(votingDelay) + 1);
  const votes: [number, number][] = [
    [0, 1],
    [3, 1],
    [BOB, 0],
    [8, 2],
  ];
  for (const [voter, support] of votes) {
    await send(voter, governor, dAOGovernanceAbi, "castVote", [proposalId, support]);
  }
  log(`Proposal ${proposalId} is open for voting (${votes.length} votes cast)`);

  return {
    providers: Object.keys(profiles).length,
    resources: resourceIds.length,
    bookings: {
      requested: 1,
      active: 1,
      completed: 2,
      cancelled: 1,
      terminated: 1,
      "requested from the oracle node": loopbackBookings.length,
    },
    reports,
    proposalId,
    metadataCid,
  };
}
