/**
 * End to end against a real Hardhat node with the deployed contracts, the local IPFS node and the
 * local adapter: a booking is provisioned, confirmed, measured, reported and deprovisioned; a
 * workload killed mid-period produces a violation and a credit on chain.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { type Address, type Hex, recoverAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { RefundReason, decryptAccessDetails, slaReport } from "@d-cloudx/sdk";
import { escrowManagerAbi, resourceMarketplaceAbi, resourceVerifierAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { OracleNode } from "../src/node.ts";
import type { LocalProvisioner } from "../src/provisioners/local.ts";
import { recoverReportSigner, signReport } from "../src/reporting/reporter.ts";
import {
  type Stack,
  activated,
  advanceChain,
  book,
  eventsOf,
  extendBooking,
  settledPeriods,
  listResource,
  mined,
  provisionedEvents,
  samplesTaken,
  sealedAccessDetails,
  startStack,
  streamOf,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

describe("oracle node with the local adapter", { timeout: 300_000 }, () => {
  let stack: Stack;
  let node: OracleNode;
  let provider: Address;
  let resourceId: bigint;

  before(async () => {
    stack = await startStack();
    provider = stack.accounts[3]!;
    ({ resourceId } = await listResource(stack, provider));
    node = await OracleNode.start(testConfig(stack, mkdtempSync(join(stack.workDir, "oracle-"))));
  });

  after(async () => {
    await node?.stop();
    await stack?.stop();
  });

  const contracts = () => stack.deployment.contracts;

  async function settledPeriod(bookingId: bigint, period: number) {
    return waitFor(`period ${period} of booking ${bookingId} to settle`, async () => {
      const events = await settledPeriods(stack);
      return events.find((e) => e.args.bookingId === bookingId && e.args.period === period)?.args;
    });
  }

  it("provisions, confirms with access only the consumer can read, measures, reports and deprovisions", async () => {
    const consumer = stack.accounts[4]!;
    const booked = await book(stack, consumer, resourceId);
    await activated(stack, booked.bookingId);

    // The access details: on IPFS, encrypted to the consumer's key, and they open the workload.
    const [provisioned] = await provisionedEvents(stack, booked.bookingId);
    const access = decryptAccessDetails(booked.privateKey, await sealedAccessDetails(stack, provisioned!));
    assert.equal(access.host, "127.0.0.1");
    const authorization = { authorization: `Bearer ${access.credentials.secret}` };
    assert.equal(
      (await fetch(`${access.url}files/hello.txt`, { method: "PUT", body: "hi", headers: authorization })).status,
      201,
    );
    assert.equal(await (await fetch(`${access.url}files/hello.txt`, { headers: authorization })).text(), "hi");
    assert.equal((await fetch(`${access.url}files/hello.txt`)).status, 401);

    // Measured for a while, then the chain's clock passes the end of period 0: reported as met.
    await samplesTaken(node, booked.bookingId, 10);
    await advanceChain(stack, 61);
    const report = await settledPeriod(booked.bookingId, 0);
    assert.equal(report.uptimeBps, 10_000);
    assert.equal(report.compliant, true);
    assert.ok((report.sampleCount as number) >= 10);
    assert.ok((report.p95LatencyMs as number) < 1_000);

    // The consumer ends the booking: the node deprovisions the workload and its folder.
    const folder = local().folderOf(booked.bookingId)!;
    assert.ok(existsSync(folder));
    await mined(
      stack,
      await stack.wallet(consumer).writeContract({
        chain: null,
        address: contracts().ResourceMarketplace.proxy as Address,
        abi: resourceMarketplaceAbi,
        functionName: "terminateBooking",
        args: [booked.bookingId],
      }),
    );
    await waitFor("deprovisioning", () => (existsSync(folder) ? undefined : true));
    await assert.rejects(fetch(access.url!));
    assert.equal(node.sender.outbox.outcome(`provision-${booked.bookingId}`).status, "succeeded");
  });

  it("reports a violation when the workload dies mid-period, and the consumer is credited", async () => {
    const consumer = stack.accounts[5]!;
    const booked = await book(stack, consumer, resourceId);
    await activated(stack, booked.bookingId);
    await samplesTaken(node, booked.bookingId, 5);
    const folder = local().folderOf(booked.bookingId)!;
    const { pid } = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as { pid: number };
    process.kill(pid, "SIGKILL");
    await samplesTaken(node, booked.bookingId, 5, true);
    await advanceChain(stack, 61);

    const report = await settledPeriod(booked.bookingId, 0);
    assert.equal(report.compliant, false);
    assert.ok((report.uptimeBps as number) < 9_500, `uptime ${report.uptimeBps}`);
    assert.equal(report.creditBps, 10_000, "below 95 %: the whole period is credited");
    assert.ok((report.credit as bigint) > 0n);
    const refunds = await eventsOf(stack, contracts().EscrowManager.proxy, escrowManagerAbi, "ConsumerRefunded");
    const credit = refunds.find(
      (e) => e.args.bookingId === booked.bookingId && e.args.reason === RefundReason.SlaCredit,
    );
    assert.equal(credit?.args.amount, report.credit);
  });

  it("attests the resources it serves in the verifier contract", async () => {
    const verified = await waitFor("the resource to be verified", () =>
      stack.publicClient
        .readContract({
          address: contracts().ResourceVerifier.proxy as Address,
          abi: resourceVerifierAbi,
          functionName: "isVerified",
          args: [resourceId],
        })
        .then((v) => v || undefined),
    );
    assert.equal(verified, true);
  });

  it("signs reports of several periods that SLAEnforcement verifies, and only for its own key", async () => {
    // Periods far past the booking's end: signed alike, then refused by the escrow.
    const report = slaReport(1n, 100_000, [
      { uptimeBps: 9_876, p95LatencyMs: 123, sampleCount: 456 },
      { uptimeBps: 10_000, p95LatencyMs: 40, sampleCount: 12 },
    ]);
    const sla = contracts().SLAEnforcement.proxy as Address;
    const signature = await signReport(node.chain, report);
    const digest = await stack.publicClient.readContract({
      address: sla,
      abi: sLAEnforcementAbi,
      functionName: "reportDigest",
      args: [report],
    });
    assert.equal(
      (await recoverAddress({ hash: digest, signature })).toLowerCase(),
      node.chain.account.address.toLowerCase(),
    );
    assert.equal(
      (await recoverReportSigner(node.chain, report, signature)).toLowerCase(),
      node.chain.account.address.toLowerCase(),
    );

    // A stranger's signature is refused by the contract's quorum check.
    const stranger = { ...node.chain, account: privateKeyToAccount(generatePrivateKey()) };
    const simulate = (sig: Hex) =>
      stack.publicClient.simulateContract({
        address: sla,
        abi: sLAEnforcementAbi,
        functionName: "submitReports",
        args: [[report], [[sig]]],
      });
    await assert.rejects(simulate(await signReport(stranger, report)), /QuorumUnknownSigner/);
    // The oracle's signature passes the quorum; the contract then checks the period itself.
    await assert.rejects(simulate(signature), (error: Error) => !/Quorum/.test(error.message));
  });

  it("keeps an extended booking's machine past its old end, and suspends it at the new one", async () => {
    const consumer = stack.accounts[6]!;
    const booked = await book(stack, consumer, resourceId);
    await activated(stack, booked.bookingId);
    const folder = local().folderOf(booked.bookingId)!;
    const before = await streamOf(stack, booked.bookingId);
    await extendBooking(stack, consumer, booked.bookingId, 1);
    const newEnd = before.endsAt + 3_600;
    await waitFor("the node to learn the new end", () =>
      node.store.bookings.get(String(booked.bookingId))?.endsAt === newEnd ? true : undefined,
    );

    // Past the old end the machine runs on; past the new one it is suspended, its files kept.
    await advanceChain(stack, before.endsAt - Number((await stack.publicClient.getBlock()).timestamp) + 60);
    await samplesTaken(node, booked.bookingId, 3);
    assert.equal(node.store.bookings.get(String(booked.bookingId))?.stage, "active");
    await advanceChain(stack, 3_600);
    await waitFor("suspension at the new end", () =>
      node.store.bookings.get(String(booked.bookingId))?.stage === "suspended" ? true : undefined,
    );
    assert.ok(existsSync(folder));
  });

  const local = () => node.registry.for("local") as LocalProvisioner;
});
