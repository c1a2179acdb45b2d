/**
 * The subgraph on real graph-node (gnd), against a real Hardhat chain running the D-CloudX
 * contracts and the local IPFS node: providers list resources with metadata on IPFS (valid,
 * malformed, oversized and missing documents), consumers book in ETH and USDC, the oracle confirms,
 * SLA reports settle with one violation, a provider withdraws, consumers rate, the provider claims
 * its DCX rewards, the verifier attests resources (one attestation expires, one is revoked, one
 * goes stale with new metadata), a DCX holder delegates, and the DAO votes down one proposal and
 * passes a protocol fee change through the timelock; a booking renews twice on its consumer's
 * policy (renew called by a stranger, two calls skipped), another runs out and is resumed in its
 * grace; then graph-node's GraphQL answers are checked against the chain and against each other.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { Contract, type ContractRunner, JsonRpcProvider, type JsonRpcSigner, Network, ZeroAddress, id } from "ethers";
import hre from "hardhat";

import {
  attestationTypes,
  provisioningTypes,
  revocationTypes,
  slaDomain,
  slaReport,
  slaReportTypes,
  verifierDomain,
} from "@d-cloudx/sdk";
import { providerAccrued } from "@d-cloudx/sdk/stream";
import {
  bookingRenewalsAbi,
  escrowManagerAbi,
  mockERC20Abi,
  mockV3AggregatorAbi,
  priceOracleAbi,
  reputationSystemAbi,
  resourceMarketplaceAbi,
  sLAEnforcementAbi,
} from "@d-cloudx/sdk/abis";
import type { Connection } from "../../scripts/lib/core.ts";
import { VOTE_ABSTAIN, VOTE_AGAINST, advanceTime, passProposal } from "../../scripts/lib/governance.ts";
import type {
  DAOGovernance,
  DCXToken,
  ResourceVerifier,
  RewardDistributor,
} from "../../types/ethers-contracts/index.ts";
import { type Stack, startStack } from "@d-cloudx/devstack/stack";

/** A usable X25519 public key (the marketplace refuses zero, small-order and non-canonical ones). */
const KEY = "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170";
const ACCESS_CID = "bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve";
const HOUR = 3_600;
const DCX = 10n ** 18n;
/** Booking states as the subgraph indexed them, with the escrow's answers: the dApp's test fixtures. */
const BOOKINGS_FIXTURE = new URL("../../dapp/test/fixtures/indexed-bookings.json", import.meta.url);

/** Exact sums of the subgraph's BigDecimal strings (at most 18 decimals). */
function decimal(text: string): bigint {
  const [whole, fraction = ""] = text.split(".");
  return (
    BigInt(whole!) * 10n ** 18n + BigInt(fraction.padEnd(18, "0").slice(0, 18)) * (text.startsWith("-") ? -1n : 1n)
  );
}
const sum = (values: string[]) => values.reduce((total, value) => total + decimal(value), 0n);
const sumPoints = (epochs: { points: string }[]) => epochs.reduce((total, epoch) => total + BigInt(epoch.points), 0n);

async function addToIpfs(ipfsUrl: string, content: string, onlyHash = false): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([content]), "metadata.json");
  const response = await fetch(`${ipfsUrl}/api/v0/add?cid-version=1&only-hash=${onlyHash}`, {
    method: "POST",
    body: form,
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { Hash: string }).Hash;
}

/** A metadata document (sdk/src/metadata.ts) for a resource: the defaults with `fields` set. */
const metadata = (fields: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    cloud: "aws",
    region: "us-east-1",
    instanceType: "m5.xlarge",
    memoryGib: 16,
    storage: { sizeGib: 100, type: "ssd" },
    network: { bandwidthGbps: 10 },
    osImages: ["ubuntu-22.04"],
    ...fields,
  });

describe("subgraph on graph-node", { timeout: 600_000 }, () => {
  let dataDir: string;
  let stack: Stack;
  let provider: JsonRpcProvider;
  const started = Date.now();
  // Set by the scenario, checked by the tests.
  const ids = { gpu: 0n, small: 0n, malformed: 0n, oversized: 0n, missing: 0n, euVm: 0n };
  const bookings = { eth: 0n, usdc: 0n, cancelled: 0n, terminated: 0n, renewed: 0n, resumed: 0n };
  const addresses = { providerA: "", providerB: "", consumerA: "", consumerB: "", oracle: "" };
  let gpuV2Cid = "";
  let ethAmount = 0n;
  let usdcAmount = 0n;
  let usdcExtension = 0n;
  let renewalAmount = 0n;
  // Hardhat's ethers, for the DAO flow of the deployment library.
  let connection: Connection;
  let dcx: DCXToken;
  let rewards: RewardDistributor;
  let verifier: ResourceVerifier;
  let governor: DAOGovernance;
  const proposals = { feeChange: 0n, defeated: 0n };

  async function gql<T>(query: string): Promise<T> {
    return stack.graphNode.query<T>(query);
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "dcloudx-subgraph-it-"));
    stack = await startStack({ dataDir, mode: "private", log: (m) => console.log(`  ${m}`) });
    console.log(`  Stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    provider = new JsonRpcProvider(stack.rpcUrl, Network.from(31337), { staticNetwork: true, pollingInterval: 50 });
    const signer = (index: number) => provider.getSigner(index);
    const [oracle, providerA, providerB, consumerA, consumerB, stranger] = await Promise.all(
      [2, 3, 4, 5, 6, 9].map(signer),
    );
    addresses.oracle = oracle!.address.toLowerCase();
    addresses.providerA = providerA!.address.toLowerCase();
    addresses.providerB = providerB!.address.toLowerCase();
    addresses.consumerA = consumerA!.address.toLowerCase();
    addresses.consumerB = consumerB!.address.toLowerCase();

    const { contracts, paymentTokens } = stack.deployment;
    const usdc = paymentTokens.find((t) => t.symbol === "USDC")!;
    const marketplace = (runner: ContractRunner) =>
      new Contract(contracts.ResourceMarketplace.proxy, resourceMarketplaceAbi, runner);
    const priceOracle = new Contract(contracts.PriceOracle.proxy, priceOracleAbi, provider);
    const escrow = new Contract(contracts.EscrowManager.proxy, escrowManagerAbi, providerA!);
    const sla = new Contract(contracts.SLAEnforcement.proxy, sLAEnforcementAbi, consumerA!);
    const send = async (tx: Promise<{ wait(): Promise<unknown> }>) => (await tx).wait();

    // Metadata documents on IPFS.
    const ipfs = stack.ipfsUrl;
    const gpuCid = await addToIpfs(
      ipfs,
      metadata({ name: "A100 box", vcpu: 96, memoryGib: 1152, gpu: { model: "A100", count: 8 }, tags: ["gpu", "ml"] }),
    );
    gpuV2Cid = await addToIpfs(
      ipfs,
      metadata({ name: "A100 box (2026)", vcpu: 96, memoryGib: 1152, gpu: { model: "A100", count: 8 }, tags: ["gpu"] }),
    );
    const smallCid = await addToIpfs(ipfs, metadata({ name: "Small VM", vcpu: 4, tags: ["general"] }));
    const euV2Cid = await addToIpfs(
      ipfs,
      metadata({
        name: "EU VM (2026)",
        cloud: "gcp",
        region: "europe-west1",
        instanceType: "n2-standard-16",
        vcpu: 16,
      }),
    );
    const euCid = await addToIpfs(
      ipfs,
      metadata({ name: "EU VM", cloud: "gcp", region: "europe-west1", instanceType: "n2-standard-16", vcpu: 16 }),
    );
    const malformedCid = await addToIpfs(ipfs, '{"version": 1, "name": "oops"');
    const oversizedCid = await addToIpfs(ipfs, metadata({ name: "Big", vcpu: 2, description: "x".repeat(20_000) }));
    const missingCid = await addToIpfs(ipfs, metadata({ name: "Never published", vcpu: 2 }), true);

    // Providers list.
    await send(marketplace(providerA!).getFunction("registerProvider")(gpuCid));
    await send(marketplace(providerB!).getFunction("registerProvider")(euCid));
    const terms = (pricePerHourUsdE8: bigint, acceptedTokens: string[]) => ({
      pricePerHourUsdE8,
      capacity: 3,
      minHours: 1,
      maxHours: 24,
      uptimeTargetBps: 9_950,
      maxLatencyMs: 200,
      acceptedTokens,
    });
    let next = 0n;
    const list = async (
      owner: JsonRpcSigner,
      cid: string,
      region: string,
      kind: number,
      price: bigint,
      tokens: string[],
    ) => {
      await send(
        marketplace(owner).getFunction("listResource")({ metadataCid: cid, region, kind, terms: terms(price, tokens) }),
      );
      return ++next;
    };
    ids.gpu = await list(providerA!, gpuCid, "us-east-1", 1, 250_000_000n, [ZeroAddress, usdc.address]);
    ids.small = await list(providerA!, smallCid, "us-east-1", 0, 10_000_000n, [usdc.address]);
    ids.malformed = await list(providerA!, malformedCid, "us-east-1", 0, 20_000_000n, [usdc.address]);
    ids.oversized = await list(providerA!, oversizedCid, "us-east-1", 0, 30_000_000n, [usdc.address]);
    ids.missing = await list(providerA!, missingCid, "us-east-1", 0, 40_000_000n, [usdc.address]);
    ids.euVm = await list(providerB!, euCid, "europe-west1", 0, 50_000_000n, [ZeroAddress, usdc.address]);
    await send(
      marketplace(providerA!).getFunction("updateResourceTerms")(ids.small, terms(12_000_000n, [usdc.address])),
    );
    await send(marketplace(providerA!).getFunction("updateResourceMetadata")(ids.gpu, gpuV2Cid));
    await send(marketplace(providerA!).getFunction("delistResource")(ids.missing));

    // Consumers book in ETH and USDC; one cancels before provisioning.
    for (const consumer of [consumerA!, consumerB!]) {
      const usdcToken = new Contract(usdc.address, mockERC20Abi, consumer);
      await send(usdcToken.getFunction("mint")(consumer.address, 1_000_000_000n));
      await send(usdcToken.getFunction("approve")(contracts.EscrowManager.proxy, 2n ** 255n));
    }
    const book = async (consumer: JsonRpcSigner, resourceId: bigint, hours: number, token: string, priceE8: bigint) => {
      const [amount] = await priceOracle.getFunction("quote")(token, priceE8 * BigInt(hours));
      const value = token === ZeroAddress ? amount : 0n;
      // The consumer accepts the SLA the resource shows, and nothing looser.
      const { uptimeTargetBps, maxLatencyMs } = await marketplace(consumer).getFunction("getResource")(resourceId);
      const minSla = { uptimeTargetBps, maxLatencyMs };
      await send(marketplace(consumer).getFunction("book")(resourceId, hours, token, amount, minSla, KEY, { value }));
      return { id: await marketplace(consumer).getFunction("bookingCount")(), amount };
    };
    const ethBooking = await book(consumerA!, ids.gpu, 4, ZeroAddress, 250_000_000n);
    bookings.eth = ethBooking.id;
    ethAmount = ethBooking.amount;
    const usdcBooking = await book(consumerB!, ids.euVm, 1, usdc.address, 50_000_000n);
    bookings.usdc = usdcBooking.id;
    usdcAmount = usdcBooking.amount;
    bookings.cancelled = (await book(consumerA!, ids.small, 2, usdc.address, 12_000_000n)).id;
    await send(marketplace(consumerA!).getFunction("cancelBooking")(bookings.cancelled));
    bookings.terminated = (await book(consumerB!, ids.euVm, 2, usdc.address, 50_000_000n)).id;

    // The oracle (a quorum of one here) confirms; one SLA period later it reports, two periods missing the SLA.
    const domain = slaDomain(31337, contracts.SLAEnforcement.proxy);
    const confirm = async (id: bigint, consumer: JsonRpcSigner) => {
      const confirmation = { bookingId: id, consumer: consumer.address, accessDetailsCid: ACCESS_CID };
      const signature = await oracle!.signTypedData(
        domain,
        { Provisioning: [...provisioningTypes.Provisioning] },
        confirmation,
      );
      await send(marketplace(oracle!).getFunction("confirmProvisioning")(id, ACCESS_CID, [signature]));
    };
    for (const [id, consumer] of [
      [bookings.eth, consumerA!],
      [bookings.usdc, consumerB!],
      [bookings.terminated, consumerB!],
    ] as const) {
      await confirm(id, consumer);
    }
    // Consumer B extends its USDC booking by two hours at a new price: the extension streams after the old end.
    await send(
      marketplace(providerB!).getFunction("updateResourceTerms")(
        ids.euVm,
        terms(75_000_000n, [ZeroAddress, usdc.address]),
      ),
    );
    [usdcExtension] = await priceOracle.getFunction("quote")(usdc.address, 75_000_000n * 2n);
    const { uptimeTargetBps, maxLatencyMs } = await marketplace(consumerB!).getFunction("getResource")(ids.euVm);
    await send(
      marketplace(consumerB!).getFunction("extendBooking")(bookings.usdc, 2, usdc.address, usdcExtension, {
        uptimeTargetBps,
        maxLatencyMs,
      }),
    );
    await provider.send("evm_increaseTime", [61]);
    await provider.send("evm_mine", []);
    const reports = [
      slaReport(bookings.eth, 0, [{ uptimeBps: 10_000, p95LatencyMs: 40, sampleCount: 60 }]),
      slaReport(bookings.usdc, 0, [{ uptimeBps: 9_800, p95LatencyMs: 90, sampleCount: 60 }]),
      slaReport(bookings.terminated, 0, [{ uptimeBps: 9_000, p95LatencyMs: 90, sampleCount: 60 }]),
    ];
    const types = { SlaReport: [...slaReportTypes.SlaReport] };
    const signatures = await Promise.all(reports.map(async (r) => [await oracle!.signTypedData(domain, types, r)]));
    await send(sla.getFunction("submitReports")(reports, signatures));

    // The provider withdraws what has streamed; at the end, bookings complete and are rated.
    await send(escrow.getFunction("withdrawEarnings")(bookings.eth));
    // Consumer B ends its second booking early: the unused time comes back besides the credit.
    await send(marketplace(consumerB!).getFunction("terminateBooking")(bookings.terminated));
    await provider.send("evm_increaseTime", [4 * HOUR]);
    await provider.send("evm_mine", []);
    await send(marketplace(consumerA!).getFunction("completeBooking")(bookings.eth));
    await send(marketplace(consumerB!).getFunction("completeBooking")(bookings.usdc));
    await send(marketplace(consumerA!).getFunction("rateBooking")(bookings.eth, 5));
    await send(marketplace(consumerB!).getFunction("rateBooking")(bookings.usdc, 3));

    // DCX, rewards, verification and the DAO through Hardhat's ethers: scripts/lib/governance.ts
    // runs proposals on a Hardhat connection.
    connection = await hre.network.create({ network: "localhost", override: { url: stack.rpcUrl } });
    const { ethers } = connection;
    const accounts = await ethers.getSigners();
    const at = async <T>(name: keyof typeof contracts) =>
      (await ethers.getContractAt(name, contracts[name].proxy)) as unknown as T;
    dcx = await at<DCXToken>("DCXToken");
    rewards = await at<RewardDistributor>("RewardDistributor");
    verifier = await at<ResourceVerifier>("ResourceVerifier");
    governor = await at<DAOGovernance>("DAOGovernance");

    // Provider A's compliant SLA period earned DCX in an epoch (one hour) that has ended: it claims.
    await send(rewards.connect(accounts[3]!).claim());

    // The verifier (account #2) attests four resources: one stays verified, one attestation
    // expires, one is revoked, and one resource's metadata changes after it was attested.
    const attestationDomain = verifierDomain(31337, contracts.ResourceVerifier.proxy);
    const attest = async (resourceId: bigint, metadataVersion: number, claims: object, validitySeconds: number) => {
      const issuedAt = (await provider.getBlock("latest"))!.timestamp;
      const attestation = {
        resourceId,
        metadataVersion,
        // What the resources' metadata says, unless `claims` says otherwise.
        cloud: "aws",
        region: "us-east-1",
        instanceType: "m5.xlarge",
        ...claims,
        accountHash: id(`cloud account of resource ${resourceId}`),
        issuedAt,
        expiresAt: issuedAt + validitySeconds,
      };
      const types = { Attestation: [...attestationTypes.Attestation] };
      const signature = await oracle!.signTypedData(attestationDomain, types, attestation);
      await send(verifier.connect(accounts[2]!).submitAttestation(attestation, [signature]));
    };
    await attest(ids.gpu, 2, {}, 24 * HOUR);
    await attest(ids.small, 1, {}, 120);
    await attest(ids.malformed, 1, {}, 24 * HOUR);
    // A quorum (here: the one verifier) signs the revocation of the latest verification.
    const revocation = {
      resourceId: ids.malformed,
      issuedAt: (await verifier.verificationOf(ids.malformed)).issuedAt,
      reason: "Instance type retired",
    };
    const revocationSignature = await oracle!.signTypedData(
      attestationDomain,
      { Revocation: [...revocationTypes.Revocation] },
      revocation,
    );
    await send(
      verifier.connect(accounts[2]!).revokeVerification(ids.malformed, revocation.reason, [revocationSignature]),
    );
    await attest(ids.euVm, 1, { cloud: "gcp", region: "europe-west1", instanceType: "n2-standard-16" }, 24 * HOUR);
    await send(marketplace(providerB!).getFunction("updateResourceMetadata")(ids.euVm, euV2Cid));

    // Consumer B lends its votes to consumer A.
    await send(dcx.connect(accounts[6]!).delegate(addresses.consumerA));

    // The DAO: a proposal that one account votes against and one abstains on (with parameters),
    // which then fails; and a protocol fee change that passes and is executed by the timelock.
    const defeated = {
      targets: [contracts.ResourceMarketplace.proxy],
      values: [0n],
      calldatas: [marketplace(providerA!).interface.encodeFunctionData("setProvisionTimeout", [600])],
      description: "Give oracles ten minutes to provision",
    };
    await send(
      governor
        .connect(accounts[7]!)
        .propose(defeated.targets, defeated.values, defeated.calldatas, defeated.description),
    );
    proposals.defeated = await governor.hashProposal(
      defeated.targets,
      defeated.values,
      defeated.calldatas,
      id(defeated.description),
    );
    await advanceTime(connection, Number(await governor.votingDelay()) + 1);
    await send(
      governor.connect(accounts[8]!).castVoteWithReason(proposals.defeated, VOTE_AGAINST, "Too slow for consumers"),
    );
    await send(
      governor.connect(accounts[9]!).castVoteWithReasonAndParams(proposals.defeated, VOTE_ABSTAIN, "", "0x01"),
    );
    const settings = (await escrow.getFunction("settings")()).toObject();
    proposals.feeChange = await passProposal(connection, governor, [accounts[0]!, accounts[5]!], {
      targets: [contracts.EscrowManager.proxy],
      values: [0n],
      calldatas: [escrow.interface.encodeFunctionData("updateSettings", [{ ...settings, protocolFeeBps: 200 }])],
      description: "Lower the protocol fee to 2 %",
    });

    // Auto-renew and grace, hours later: the USDC feed answers afresh (local feeds move only by hand).
    const usdcFeed = new Contract(usdc.priceFeed, mockV3AggregatorAbi, oracle!);
    const [, answer] = await usdcFeed.getFunction("latestRoundData")();
    await send(usdcFeed.getFunction("updateAnswer")(answer));
    const renewals = (runner: ContractRunner) =>
      new Contract(contracts.BookingRenewals.proxy, bookingRenewalsAbi, runner);
    const mineAt = async (timestamp: number) => provider.send("evm_mine", [timestamp]);
    const streamEnd = async (id: bigint) => Number((await escrow.getFunction("streamOf")(id)).endsAt);
    // Consumer A's one-hour booking renews twice on its policy (a budget of two renewals), each time
    // called by a stranger; a call out of the window and one past the budget are skipped.
    bookings.renewed = (await book(consumerA!, ids.small, 1, usdc.address, 12_000_000n)).id;
    await confirm(bookings.renewed, consumerA!);
    [renewalAmount] = await priceOracle.getFunction("quote")(usdc.address, 12_000_000n);
    await send(
      renewals(consumerA!).getFunction("setRenewalPolicy")(bookings.renewed, 1, 12_000_000n, 2n * renewalAmount),
    );
    const renew = (id: bigint) => send(renewals(stranger!).getFunction("renew")(id));
    await renew(bookings.renewed);
    await renew(bookings.renewed); // two hours before the end: not in the one-hour window
    await mineAt((await streamEnd(bookings.renewed)) - 1_800);
    await renew(bookings.renewed);
    await mineAt((await streamEnd(bookings.renewed)) - 1_800);
    await renew(bookings.renewed); // the budget is spent
    // Consumer B's one-hour booking runs out; extended a minute into its grace, it resumes.
    bookings.resumed = (await book(consumerB!, ids.small, 1, usdc.address, 12_000_000n)).id;
    await confirm(bookings.resumed, consumerB!);
    await mineAt((await streamEnd(bookings.resumed)) + 60);
    const small = await marketplace(consumerB!).getFunction("getResource")(ids.small);
    await send(
      marketplace(consumerB!).getFunction("extendBooking")(bookings.resumed, 1, usdc.address, 2n * renewalAmount, {
        uptimeTargetBps: small.uptimeTargetBps,
        maxLatencyMs: small.maxLatencyMs,
      }),
    );
    // Both run out and are completed by a stranger after their grace (and every report window closes).
    const grace = Number(await escrow.getFunction("gracePeriod")());
    const lastEnd = Math.max(await streamEnd(bookings.renewed), await streamEnd(bookings.resumed));
    await mineAt(lastEnd + grace + 600);
    for (const id of [bookings.renewed, bookings.resumed]) {
      await send(marketplace(stranger!).getFunction("completeBooking")(id));
    }

    // File data sources are processed with the next blocks: mine until every document is in.
    const documentCount = 7; // gpu v1 and v2, small, eu v1 and v2, malformed, oversized
    for (let attempt = 0; ; attempt++) {
      await provider.send("evm_mine", []);
      await stack.graphNode.waitUntilSynced();
      const { resourceMetadataDocuments } = await gql<{ resourceMetadataDocuments: unknown[] }>(
        "{ resourceMetadataDocuments { id } }",
      );
      if (resourceMetadataDocuments.length >= documentCount) break;
      assert.ok(attempt < 100, `only ${resourceMetadataDocuments.length} metadata documents indexed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`  Scenario indexed ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
  });

  after(async () => {
    await connection?.close();
    provider?.destroy();
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`  Integration test took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("is synced to the chain head without indexing errors (_meta)", async () => {
    const head = await provider.getBlock("latest");
    const { _meta } = await gql<{ _meta: { block: { number: number; hash: string }; hasIndexingErrors: boolean } }>(
      "{ _meta { block { number hash } hasIndexingErrors } }",
    );
    assert.equal(_meta.block.number, head!.number);
    assert.equal(_meta.block.hash, head!.hash);
    assert.equal(_meta.hasIndexingErrors, false);
  });

  it("indexes every resource, with its metadata or marked as having none that is valid", async () => {
    const { resources } = await gql<{
      resources: { id: string; status: string; metadataVersion: number; metadata: null | Record<string, unknown> }[];
    }>(
      "{ resources(orderBy: id) { id status metadataVersion metadata { status error name cid metadataVersion vcpu gpuCount tags } } }",
    );
    const byId = new Map(resources.map((r) => [BigInt(r.id), r]));
    assert.equal(resources.length, 6);
    // The metadata update switched the resource to the new document.
    assert.deepEqual(byId.get(ids.gpu)!.metadata, {
      status: "VALID",
      error: null,
      name: "A100 box (2026)",
      cid: gpuV2Cid,
      metadataVersion: 2,
      vcpu: 96,
      gpuCount: 8,
      tags: ["gpu"],
    });
    assert.equal(byId.get(ids.small)!.metadata!.status, "VALID");
    assert.equal(byId.get(ids.malformed)!.metadata!.status, "INVALID");
    assert.match(byId.get(ids.malformed)!.metadata!.error as string, /^document is not JSON/);
    assert.equal(byId.get(ids.oversized)!.metadata!.status, "INVALID");
    assert.match(byId.get(ids.oversized)!.metadata!.error as string, /^document is \d+ bytes; the limit is 16384$/);
    assert.equal(byId.get(ids.missing)!.metadata, null);
    assert.equal(byId.get(ids.missing)!.status, "DELISTED");
    const { resource } = await gql<{ resource: { metadataHistory: { metadataVersion: number; name: string }[] } }>(
      `{ resource(id: "${ids.gpu}") { metadataHistory(orderBy: metadataVersion) { metadataVersion name } } }`,
    );
    assert.deepEqual(resource.metadataHistory, [
      { metadataVersion: 1, name: "A100 box" },
      { metadataVersion: 2, name: "A100 box (2026)" },
    ]);
  });

  it("filters resources on metadata fields, orders and paginates", async () => {
    const data = await gql<Record<string, { id: string }[]>>(`{
      gpu: resources(where: { metadata_: { status: VALID, cloud: "aws", vcpu_gte: 8, tags_contains: ["gpu"] } }) { id }
      valid: resources(where: { metadata_: { status: VALID } }, orderBy: id) { id }
      gcp: resources(where: { metadata_: { cloud: "gcp" } }) { id }
      byPrice: resources(where: { status: LISTED }, orderBy: pricePerHourUsdE8, orderDirection: desc) { id }
      page1: resources(first: 2, orderBy: id) { id }
      page2: resources(first: 2, skip: 2, orderBy: id) { id }
      after4: resources(first: 2, orderBy: id, where: { id_gt: "4" }) { id }
    }`);
    const ofIds = (list: { id: string }[]) => list.map((r) => BigInt(r.id));
    assert.deepEqual(ofIds(data.gpu!), [ids.gpu]);
    assert.deepEqual(ofIds(data.valid!), [ids.gpu, ids.small, ids.euVm]);
    assert.deepEqual(ofIds(data.gcp!), [ids.euVm]);
    assert.deepEqual(ofIds(data.byPrice!), [ids.gpu, ids.euVm, ids.oversized, ids.malformed, ids.small]);
    assert.deepEqual(ofIds(data.page1!), [1n, 2n]);
    assert.deepEqual(ofIds(data.page2!), [3n, 4n]);
    assert.deepEqual(ofIds(data.after4!), [5n, 6n]);
  });

  it("answers nested filters across bookings, resources and providers", async () => {
    const data = await gql<Record<string, { id: string }[]>>(`{
      inEurope: bookings(where: { resource_: { region: "europe-west1" } }) { id }
      gpuProviders: providers(where: { resources_: { kind: GPU_MACHINE } }) { id }
      onGpus: bookings(where: { resource_: { kind: GPU_MACHINE } }) { id }
      withCancellations: resources(where: { bookings_: { status: CANCELLED } }) { id }
    }`);
    assert.deepEqual(
      data.inEurope!.map((b) => BigInt(b.id)),
      [bookings.usdc, bookings.terminated],
    );
    assert.deepEqual(
      data.gpuProviders!.map((p) => p.id),
      [addresses.providerA],
    );
    assert.deepEqual(
      data.onGpus!.map((b) => BigInt(b.id)),
      [bookings.eth],
    );
    assert.deepEqual(
      data.withCancellations!.map((r) => BigInt(r.id)),
      [ids.small],
    );
  });

  it("follows each booking: status, timeline, money in token and USD, SLA and rating", async () => {
    type Booking = {
      status: string;
      amount: string;
      amountUsd: string;
      withdrawn: string;
      fees: string;
      refunded: string;
      slaCredits: string;
      slaPeriodsSettled: number;
      slaPeriodsViolated: number;
      rating: number | null;
      consumer: { id: string };
      token: { id: string };
      events: { kind: string }[];
      slaReports: { compliant: boolean; credit: string; creditBps: number }[];
    };
    const fields =
      "status amount amountUsd withdrawn fees refunded slaCredits slaPeriodsSettled slaPeriodsViolated rating consumer { id } token { id } events(orderBy: timestamp) { kind } slaReports { compliant credit creditBps }";
    const { eth, usdc, cancelled } = await gql<Record<string, Booking>>(`{
      eth: booking(id: "${bookings.eth}") { ${fields} }
      usdc: booking(id: "${bookings.usdc}") { ${fields} }
      cancelled: booking(id: "${bookings.cancelled}") { ${fields} }
    }`);
    assert.equal(eth!.status, "COMPLETED");
    assert.equal(eth!.token.id, ZeroAddress);
    assert.equal(BigInt(eth!.amount), ethAmount);
    assert.equal(eth!.amountUsd, "10");
    assert.ok(BigInt(eth!.withdrawn) > 0n);
    assert.equal(BigInt(eth!.fees), (BigInt(eth!.withdrawn) * 250n) / 10_000n);
    assert.equal(eth!.rating, 5);
    assert.deepEqual(
      eth!.events.map((e) => e.kind),
      ["REQUESTED", "PROVISIONED", "COMPLETED", "RATED"],
    );
    assert.deepEqual(eth!.slaReports, [{ compliant: true, credit: "0", creditBps: 0 }]);

    assert.equal(usdc!.status, "COMPLETED");
    assert.equal(usdc!.consumer.id, addresses.consumerB);
    assert.equal(usdc!.slaPeriodsViolated, 1);
    assert.equal(usdc!.slaReports.length, 1);
    assert.equal(usdc!.slaReports[0]!.compliant, false);
    assert.equal(usdc!.slaReports[0]!.creditBps, 2_500);
    assert.ok(BigInt(usdc!.slaCredits) > 0n);
    assert.equal(usdc!.slaCredits, usdc!.slaReports[0]!.credit);
    assert.equal(usdc!.refunded, usdc!.slaCredits);
    assert.equal(usdc!.rating, 3);
    assert.deepEqual(
      usdc!.events.map((e) => e.kind),
      ["REQUESTED", "PROVISIONED", "EXTENDED", "COMPLETED", "RATED"],
    );
    const { booking: extended } = await gql<{
      booking: {
        hoursBooked: number;
        hoursExtended: number;
        extensionCount: number;
        endsAt: string;
        startedAt: string;
        extensions: { hours: number; amount: string; amountUsd: string; hoursBooked: number; endsAt: string }[];
      };
    }>(`{ booking(id: "${bookings.usdc}") {
      hoursBooked hoursExtended extensionCount startedAt endsAt
      extensions { hours amount amountUsd hoursBooked endsAt }
    } }`);
    assert.equal(extended.hoursBooked, 3);
    assert.equal(extended.hoursExtended, 2);
    assert.equal(extended.extensionCount, 1);
    assert.equal(Number(extended.endsAt) - Number(extended.startedAt), 3 * HOUR);
    assert.deepEqual(extended.extensions, [
      { hours: 2, amount: usdcExtension.toString(), amountUsd: "1.5", hoursBooked: 3, endsAt: extended.endsAt },
    ]);
    assert.equal(BigInt(usdc!.amount), usdcAmount + usdcExtension);
    assert.equal(usdc!.amountUsd, "2");

    assert.equal(cancelled!.status, "CANCELLED");
    assert.equal(cancelled!.refunded, cancelled!.amount);
    assert.deepEqual(
      cancelled!.events.map((e) => e.kind),
      ["REQUESTED", "CANCELLED"],
    );
  });

  it("follows renewals, skipped renewals, a resume from grace and their statistics", async () => {
    const stranger = (await provider.getSigner(9)).address.toLowerCase();
    const escrow = new Contract(stack.deployment.contracts.EscrowManager.proxy, escrowManagerAbi, provider);
    const renewals = new Contract(stack.deployment.contracts.BookingRenewals.proxy, bookingRenewalsAbi, provider);
    type Counts = {
      extensionCount: number;
      hoursExtended: number;
      renewalCount: number;
      hoursRenewed: number;
      renewalSkipCount: number;
      resumeCount: number;
      endedInGraceCount: number;
    };
    const counts =
      "extensionCount hoursExtended renewalCount hoursRenewed renewalSkipCount resumeCount endedInGraceCount";
    const data = await gql<{
      renewed: {
        status: string;
        endsAt: string;
        graceEndsAt: string;
        renewalCount: number;
        endedInGrace: boolean;
        renewalPolicy: { active: boolean; budget: string; budgetLeft: string; renewalCount: number };
        renewals: {
          caller: { id: string };
          hours: number;
          amount: string;
          tip: string;
          budgetLeft: string;
          resumed: boolean;
          extension: { index: number };
        }[];
        renewalSkips: { reason: string; caller: string }[];
        events: { kind: string; actor: string | null }[];
      };
      resumed: {
        endsAt: string;
        resumeCount: number;
        extensions: { resumed: boolean; renewal: unknown }[];
        resumptions: { suspendedAt: string; resumedAt: string; gapSeconds: string; endsAt: string }[];
      };
      protocol: { gracePeriodSeconds: string; renewalWindowSeconds: string; renewalTipBps: number };
      market: Counts & { renewalSkips: { reason: string; count: number }[] };
      bookings: (Counts & { provider: { id: string }; endedInGrace: boolean })[];
      marketDayStats: Counts[];
      providers: (Counts & { id: string; dayStats: Counts[] })[];
    }>(`{
      renewed: booking(id: "${bookings.renewed}") {
        status endsAt graceEndsAt renewalCount endedInGrace
        renewalPolicy { active budget budgetLeft renewalCount }
        renewals(orderBy: timestamp) { caller { id } hours amount tip budgetLeft resumed extension { index } }
        renewalSkips(orderBy: timestamp) { reason caller }
        events(orderBy: timestamp) { kind actor }
      }
      resumed: booking(id: "${bookings.resumed}") {
        endsAt resumeCount extensions { resumed renewal { id } }
        resumptions { suspendedAt resumedAt gapSeconds endsAt }
      }
      protocol(id: "protocol") { gracePeriodSeconds renewalWindowSeconds renewalTipBps }
      market(id: "market") { ${counts} renewalSkips(orderBy: id) { reason count } }
      bookings(first: 1000) { provider { id } extensionCount hoursExtended renewalCount hoursRenewed resumeCount endedInGrace }
      marketDayStats(first: 1000) { extensionCount hoursExtended renewalCount hoursRenewed renewalSkipCount resumeCount endedInGraceCount }
      providers { id ${counts} dayStats { ${counts} } }
    }`);
    const { renewed, resumed, market } = data;
    assert.deepEqual(renewed.renewalSkips, [
      { reason: "NOT_IN_WINDOW", caller: stranger },
      { reason: "BUDGET_EXHAUSTED", caller: stranger },
    ]);
    assert.equal(renewed.status, "COMPLETED");
    assert.equal(renewed.endsAt, String((await escrow.getFunction("streamOf")(bookings.renewed)).endsAt));
    const grace = await escrow.getFunction("gracePeriod")();
    assert.equal(BigInt(renewed.graceEndsAt), BigInt(renewed.endsAt) + grace);
    assert.equal(renewed.endedInGrace, true);
    assert.deepEqual(renewed.renewalPolicy, {
      active: true,
      budget: String(2n * renewalAmount),
      budgetLeft: "0",
      renewalCount: 2,
    });
    assert.deepEqual(
      renewed.renewals,
      [renewalAmount, 0n].map((left, index) => ({
        caller: { id: stranger },
        hours: 1,
        amount: String(renewalAmount),
        tip: "0",
        budgetLeft: String(left),
        resumed: false,
        extension: { index },
      })),
    );
    // A renewal is an extension (EXTENDED, the consumer's) made by its caller (RENEWED, the stranger's).
    const kinds = (kind: string) => renewed.events.filter((e) => e.kind === kind);
    assert.equal(kinds("EXTENDED").length, 2);
    assert.deepEqual(
      kinds("RENEWED").map((e) => e.actor),
      [stranger, stranger],
    );
    assert.deepEqual(
      kinds("RENEWAL_POLICY_SET").map((e) => e.actor),
      [addresses.consumerA],
    );

    // The resume: nothing billed from the old end to the resume, the extension's hour from then on.
    assert.equal(resumed.resumeCount, 1);
    assert.deepEqual(resumed.extensions, [{ resumed: true, renewal: null }]);
    const [resumption] = resumed.resumptions;
    assert.equal(BigInt(resumption!.gapSeconds), BigInt(resumption!.resumedAt) - BigInt(resumption!.suspendedAt));
    assert.ok(BigInt(resumption!.gapSeconds) >= 60n);
    assert.equal(BigInt(resumption!.endsAt), BigInt(resumption!.resumedAt) + BigInt(HOUR));
    assert.equal(resumption!.endsAt, resumed.endsAt);

    assert.deepEqual(data.protocol, {
      gracePeriodSeconds: String(grace),
      renewalWindowSeconds: String(await renewals.getFunction("renewalWindow")()),
      renewalTipBps: Number(await renewals.getFunction("renewalTipBps")()),
    });

    // The totals add up to the bookings', per day and per provider.
    const total = (rows: Counts[], key: keyof Counts) => rows.reduce((n, row) => n + row[key], 0);
    const ofBookings = (rows: typeof data.bookings) => ({
      extensionCount: total(rows, "extensionCount"),
      hoursExtended: total(rows, "hoursExtended"),
      renewalCount: total(rows, "renewalCount"),
      hoursRenewed: total(rows, "hoursRenewed"),
      resumeCount: total(rows, "resumeCount"),
      endedInGraceCount: rows.filter((b) => b.endedInGrace).length,
    });
    const { renewalSkips, ...marketCounts } = market;
    assert.deepEqual(marketCounts, { ...ofBookings(data.bookings), renewalSkipCount: 2 });
    assert.equal(market.renewalCount, 2);
    assert.equal(market.resumeCount, 1);
    assert.deepEqual(renewalSkips, [
      { reason: "NOT_IN_WINDOW", count: 1 },
      { reason: "BUDGET_EXHAUSTED", count: 1 },
    ]);
    for (const key of Object.keys(marketCounts) as (keyof Counts)[])
      assert.equal(total(data.marketDayStats, key), market[key], `marketDayStats ${key}`);
    for (const { id, dayStats, ...providerCounts } of data.providers) {
      const own = data.bookings.filter((b) => b.provider.id === id);
      assert.deepEqual(
        providerCounts,
        { ...ofBookings(own), renewalSkipCount: id === addresses.providerA ? 2 : 0 },
        id,
      );
      for (const key of Object.keys(providerCounts) as (keyof Counts)[])
        assert.equal(total(dayStats, key), providerCounts[key], `${id} dayStats ${key}`);
    }
  });

  it("gives the sdk's stream maths what the escrow holds: a provider's accrual equals EscrowManager.withdrawable", async () => {
    type Booking = {
      id: string;
      status: string;
      token: { id: string };
      hoursBooked: number;
      amount: string;
      usdValueE8: string;
      withdrawn: string;
      refunded: string;
      slaCredits: string;
      slashed: string;
      startedAt: string | null;
      endsAt: string | null;
      extensions: { amount: string; hours: number; endsAt: string | null }[];
    };
    const { bookings: indexed } = await gql<{ bookings: Booking[] }>(
      "{ bookings(orderBy: id) { id status token { id } hoursBooked amount usdValueE8 withdrawn refunded slaCredits slashed startedAt endsAt extensions(orderBy: index) { amount hours endsAt } } }",
    );
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    const escrow = new Contract(stack.deployment.contracts.EscrowManager.proxy, escrowManagerAbi, provider);
    const withdrawable: Record<string, string> = {};
    for (const booking of indexed) {
      const onChain: bigint = await escrow.getFunction("withdrawable")(booking.id);
      withdrawable[booking.id] = onChain.toString();
      // Every booking has ended and every report window has closed: all that streamed is final.
      const accrued = providerAccrued(
        {
          amount: BigInt(booking.amount),
          hoursBooked: booking.hoursBooked,
          startedAt: booking.startedAt === null ? null : BigInt(booking.startedAt),
          endsAt: booking.endsAt === null ? null : BigInt(booking.endsAt),
          extensions: booking.extensions.map((e) => ({
            amount: BigInt(e.amount),
            hours: e.hours,
            endsAt: e.endsAt === null ? null : BigInt(e.endsAt),
          })),
          withdrawn: BigInt(booking.withdrawn),
          slaCredits: BigInt(booking.slaCredits),
        },
        now,
      );
      assert.equal(accrued, onChain, `booking ${booking.id} (${booking.status})`);
    }
    const terminated = indexed.find((booking) => booking.id === String(bookings.terminated))!;
    assert.equal(terminated.status, "TERMINATED");
    assert.ok(BigInt(terminated.slaCredits) > 0n && BigInt(terminated.refunded) > BigInt(terminated.slaCredits));

    // `RECORD_FIXTURES=1 npm run test:integration -w subgraph` records these states for the dApp's tests.
    if (process.env.RECORD_FIXTURES) {
      const fixture = {
        recordedBy: "subgraph/tests/integration.test.ts",
        now: Number(now),
        bookings: indexed,
        withdrawable,
      };
      writeFileSync(BOOKINGS_FIXTURE, JSON.stringify(fixture, null, 2) + "\n");
      console.log(`  Recorded ${indexed.length} bookings to ${BOOKINGS_FIXTURE}`);
    }
  });

  it("mirrors the on-chain reputation record and score", async () => {
    const reputation = new Contract(stack.deployment.contracts.ReputationSystem.proxy, reputationSystemAbi, provider);
    for (const address of [addresses.providerA, addresses.providerB]) {
      const { provider: indexed } = await gql<{
        provider: {
          scoreBps: number;
          bookingsCompleted: number;
          periodsCompliant: number;
          periodsViolated: number;
          ratingsCount: number;
        };
      }>(`{ provider(id: "${address}") { scoreBps bookingsCompleted periodsCompliant periodsViolated ratingsCount } }`);
      const record = await reputation.getFunction("recordOf")(address);
      assert.equal(indexed.scoreBps, Number(await reputation.getFunction("scoreOf")(address)));
      assert.equal(indexed.bookingsCompleted, Number(record.bookingsCompleted));
      assert.equal(indexed.periodsCompliant, Number(record.periodsCompliant));
      assert.equal(indexed.periodsViolated, Number(record.periodsViolated));
      assert.equal(indexed.ratingsCount, Number(record.ratingsCount));
    }
  });

  it("mirrors DCX balances, delegations and voting power", async () => {
    const data = await gql<{
      dcxAccounts: { id: string; balance: string; votingPower: string; delegate: { id: string } | null }[];
      dcxToken: { totalSupply: string; holderCount: number; votingPower: string };
      consumerA: { votingPower: string; delegators: { id: string }[] };
    }>(`{
      dcxAccounts(first: 1000) { id balance votingPower delegate { id } }
      dcxToken(id: "dcx") { totalSupply holderCount votingPower }
      consumerA: dcxAccount(id: "${addresses.consumerA}") { votingPower delegators(orderBy: id) { id } }
    }`);
    // The ten demo accounts hold DCX (#1 also as the treasury; #3 earned rewards too).
    assert.equal(data.dcxAccounts.length, 10);
    for (const account of data.dcxAccounts) {
      assert.equal(BigInt(account.balance), await dcx.balanceOf(account.id), `balance of ${account.id}`);
      assert.equal(BigInt(account.votingPower), await dcx.getVotes(account.id), `votes of ${account.id}`);
      const delegate = (await dcx.delegates(account.id)).toLowerCase();
      assert.equal(account.delegate?.id ?? ZeroAddress, delegate, `delegate of ${account.id}`);
    }
    assert.equal(BigInt(data.dcxToken.totalSupply), await dcx.totalSupply());
    assert.equal(data.dcxToken.holderCount, data.dcxAccounts.filter((a) => BigInt(a.balance) > 0n).length);
    // Consumer B lent its 10M votes to consumer A.
    assert.equal(BigInt(data.consumerA.votingPower), 20_000_000n * DCX);
    assert.deepEqual(
      data.consumerA.delegators.map((d) => d.id),
      [addresses.consumerA, addresses.consumerB].sort(),
    );
  });

  it("follows DAO proposals: the fee change passed and executed, and the votes of a failed one", async () => {
    type Proposal = {
      status: string;
      proposer: { id: string };
      targets: string[];
      description: string;
      forVotes: string;
      againstVotes: string;
      abstainVotes: string;
      voteCount: number;
      queuedAt: string | null;
      eta: string | null;
      executedAt: string | null;
      votes: { voter: { id: string }; support: string; weight: string; reason: string; params: string | null }[];
    };
    const fields =
      "status proposer { id } targets description forVotes againstVotes abstainVotes voteCount queuedAt eta executedAt votes(orderBy: weight, orderDirection: desc) { voter { id } support weight reason params }";
    const { feeChange, defeated, protocol } = await gql<{
      feeChange: Proposal;
      defeated: Proposal;
      protocol: { protocolFeeBps: number; quorumPercent: string; timelock: string };
    }>(`{
      feeChange: proposal(id: "${proposals.feeChange}") { ${fields} }
      defeated: proposal(id: "${proposals.defeated}") { ${fields} }
      protocol(id: "protocol") { protocolFeeBps quorumPercent timelock }
    }`);
    for (const [id, indexed] of [
      [proposals.feeChange, feeChange],
      [proposals.defeated, defeated],
    ] as const) {
      const tally = await governor.proposalVotes(id);
      assert.deepEqual([indexed.againstVotes, indexed.forVotes, indexed.abstainVotes].map(BigInt), [
        tally.againstVotes,
        tally.forVotes,
        tally.abstainVotes,
      ]);
    }

    assert.equal(feeChange.status, "EXECUTED");
    assert.equal(await governor.state(proposals.feeChange), 7n); // Executed
    assert.deepEqual(feeChange.targets, [stack.deployment.contracts.EscrowManager.proxy.toLowerCase()]);
    assert.equal(feeChange.description, "Lower the protocol fee to 2 %");
    // Account #0 (10M DCX) and consumer A (its own 10M and consumer B's) voted for it.
    assert.equal(BigInt(feeChange.forVotes), 30_000_000n * DCX);
    assert.equal(feeChange.voteCount, 2);
    assert.deepEqual(
      feeChange.votes.map((v) => [v.voter.id, v.support, BigInt(v.weight)]),
      [
        [addresses.consumerA, "FOR", 20_000_000n * DCX],
        [feeChange.proposer.id, "FOR", 10_000_000n * DCX],
      ],
    );
    assert.equal(BigInt(feeChange.eta!), await governor.proposalEta(proposals.feeChange));
    assert.ok(Number(feeChange.queuedAt) < Number(feeChange.executedAt));
    assert.equal(protocol.protocolFeeBps, 200, "the executed proposal changed the fee");
    assert.equal(protocol.quorumPercent, String(stack.deployment.governance.quorumPercent));
    assert.equal(protocol.timelock, stack.deployment.governance.timelock.toLowerCase());

    // Voting closed on the other one without a majority: it failed, which its tallies and
    // voteEnd tell (no event marks it).
    assert.equal(defeated.status, "CREATED");
    assert.equal(await governor.state(proposals.defeated), 3n); // Defeated
    assert.deepEqual(defeated.votes.map((v) => [v.support, BigInt(v.weight), v.reason, v.params]).sort(), [
      ["ABSTAIN", 10_000_000n * DCX, "", "0x01"],
      ["AGAINST", 10_000_000n * DCX, "Too slow for consumers", null],
    ]);
  });

  it("computes rewards as the RewardDistributor does", async () => {
    const { provider: indexed, rewardEpoches } = await gql<{
      provider: {
        rewardPoints: string;
        rewardsEarned: string;
        rewardsClaimed: string;
        rewardsPendingPoints: string;
        rewardClaims: { amount: string }[];
      };
      rewardEpoches: { id: string; emission: string; points: string }[];
    }>(`{
      provider(id: "${addresses.providerA}") { rewardPoints rewardsEarned rewardsClaimed rewardsPendingPoints rewardClaims { amount } }
      rewardEpoches { id emission points }
    }`);
    const claimed = await rewards.totalClaimed();
    assert.ok(claimed > 0n);
    assert.deepEqual(indexed.rewardClaims, [{ amount: String(claimed) }]);
    assert.equal(BigInt(indexed.rewardsClaimed), claimed);
    assert.equal(indexed.rewardsEarned, indexed.rewardsClaimed);
    assert.equal(indexed.rewardsPendingPoints, "0");
    assert.equal(await rewards.claimable(addresses.providerA), 0n);
    assert.ok(rewardEpoches.length > 0);
    for (const epoch of rewardEpoches) {
      const onChain = await rewards.epochOf(epoch.id);
      assert.deepEqual([BigInt(epoch.emission), BigInt(epoch.points)], [onChain.emission, onChain.points]);
    }
    // Provider A's was the only compliant service.
    assert.equal(BigInt(indexed.rewardPoints), sumPoints(rewardEpoches));
  });

  it("lists the verified resources that ResourceVerifier.isVerified names", async () => {
    const now = (await provider.getBlock("latest"))!.timestamp;
    type Verification = {
      metadataVersion: number;
      cloud: string;
      region: string;
      revoked: boolean;
      revocationReason: string | null;
    };
    const data = await gql<{
      verified: { id: string }[];
      resources: {
        id: string;
        metadataVersion: number;
        verifiedUntil: string | null;
        verificationRevoked: boolean;
        verifiedMetadataVersion: number | null;
        verification: Verification | null;
      }[];
      oracleSigners: { role: string; address: string; active: boolean }[];
    }>(`{
      verified: resources(where: { verifiedUntil_gt: "${now}", verificationRevoked: false, status_not: DELISTED }, orderBy: id) { id }
      resources(orderBy: id) { id metadataVersion verifiedUntil verificationRevoked verifiedMetadataVersion verification { metadataVersion cloud region revoked revocationReason } }
      oracleSigners { role address active }
    }`);
    const verifiedOnChain: bigint[] = [];
    for (const { id } of data.resources) if (await verifier.isVerified(id)) verifiedOnChain.push(BigInt(id));
    assert.deepEqual(verifiedOnChain, [ids.gpu]);
    assert.deepEqual(
      data.verified.map((r) => BigInt(r.id)),
      verifiedOnChain,
    );

    const byId = new Map(data.resources.map((r) => [BigInt(r.id), r]));
    const gpu = byId.get(ids.gpu)!;
    assert.equal(gpu.verifiedMetadataVersion, 2);
    assert.deepEqual(gpu.verification, {
      metadataVersion: 2,
      cloud: "aws",
      region: "us-east-1",
      revoked: false,
      revocationReason: null,
    });
    const onChain = await verifier.verificationOf(ids.gpu);
    assert.equal(BigInt(gpu.verifiedUntil!), onChain.expiresAt);
    // Expired: still the latest attestation, but its time is up.
    assert.ok(Number(byId.get(ids.small)!.verifiedUntil) <= now);
    // Revoked.
    const malformed = byId.get(ids.malformed)!;
    assert.equal(malformed.verificationRevoked, true);
    assert.deepEqual(
      [malformed.verification!.revoked, malformed.verification!.revocationReason],
      [true, "Instance type retired"],
    );
    // Attested at metadata version 1; the metadata has changed since.
    const eu = byId.get(ids.euVm)!;
    assert.deepEqual([eu.metadataVersion, eu.verifiedMetadataVersion, eu.verifiedUntil], [2, 1, null]);
    assert.equal(eu.verification!.region, "europe-west1");
    // Account #2 signs both SLA reports and attestations.
    assert.deepEqual(
      data.oracleSigners.sort((a, b) => a.role.localeCompare(b.role)),
      [
        { role: "RESOURCE_VERIFIER", address: addresses.oracle, active: true },
        { role: "SLA_REPORTER", address: addresses.oracle, active: true },
      ],
    );
  });

  it("keeps statistics that add up", async () => {
    type Stat = {
      bookingCount: number;
      volumeUsd: string;
      slaPeriodsSettled: number;
      slaPeriodsCompliant: number;
      feesUsd: string;
    };
    const data = await gql<{
      market: Stat & { activeResourceCount: number; openBookingCount: number; slaCreditsUsd: string };
      bookings: { amountUsd: string; slaCreditsUsd: string; withdrawnUsd: string }[];
      marketDayStats: Stat[];
      marketHourStats: Stat[];
      providers: {
        id: string;
        volumeUsd: string;
        bookingCount: number;
        dayStats: { volumeUsd: string; bookingCount: number }[];
      }[];
      resources: { id: string }[];
    }>(`{
      market(id: "market") { bookingCount volumeUsd slaPeriodsSettled slaPeriodsCompliant feesUsd activeResourceCount openBookingCount slaCreditsUsd }
      bookings(first: 1000) { amountUsd slaCreditsUsd withdrawnUsd }
      marketDayStats(first: 1000) { bookingCount volumeUsd slaPeriodsSettled slaPeriodsCompliant feesUsd }
      marketHourStats(first: 1000) { bookingCount volumeUsd slaPeriodsSettled slaPeriodsCompliant feesUsd }
      providers { id volumeUsd bookingCount dayStats { volumeUsd bookingCount } }
      resources(where: { status: LISTED }) { id }
    }`);
    const { market } = data;
    assert.equal(market.bookingCount, 6);
    assert.equal(market.openBookingCount, 0);
    assert.equal(market.activeResourceCount, data.resources.length);
    assert.equal(market.slaPeriodsSettled, 3);
    assert.equal(market.slaPeriodsCompliant, 1);
    assert.equal(decimal(market.volumeUsd), sum(data.bookings.map((b) => b.amountUsd)));
    assert.equal(decimal(market.slaCreditsUsd), sum(data.bookings.map((b) => b.slaCreditsUsd)));
    for (const stats of [data.marketDayStats, data.marketHourStats]) {
      assert.equal(
        stats.reduce((n, s) => n + s.bookingCount, 0),
        market.bookingCount,
      );
      assert.equal(sum(stats.map((s) => s.volumeUsd)), decimal(market.volumeUsd));
      assert.equal(sum(stats.map((s) => s.feesUsd)), decimal(market.feesUsd));
      assert.equal(
        stats.reduce((n, s) => n + s.slaPeriodsSettled, 0),
        market.slaPeriodsSettled,
      );
      assert.equal(
        stats.reduce((n, s) => n + s.slaPeriodsCompliant, 0),
        market.slaPeriodsCompliant,
      );
    }
    for (const p of data.providers) {
      assert.equal(sum(p.dayStats.map((s) => s.volumeUsd)), decimal(p.volumeUsd), p.id);
      assert.equal(
        p.dayStats.reduce((n, s) => n + s.bookingCount, 0),
        p.bookingCount,
      );
    }
    assert.equal(sum(data.providers.map((p) => p.volumeUsd)), decimal(market.volumeUsd));
  });
});
