/**
 * Auto-renew, runway and grace through the sdk and dcx, against a local chain with D-CloudX
 * deployed (renewal window 1 h, grace 3 min, no tip): a consumer sets policies, a stranger renews,
 * `runway` forecasts every renewal that `renew` then does or skips (allowance, balance, budget,
 * price, window), a booking in its grace is resumed by a renewal, and after its grace nothing
 * renews it. Mistakes end in sentences.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

import { type Hex, parseEther, parseUnits, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

import { type DeployedChain, HARDHAT_MNEMONIC, rpc, startDeployedChain } from "@d-cloudx/devstack";

import {
  type DcxClient,
  DcxError,
  book,
  cancelRenewalPolicy,
  createDcxClient,
  depositRenewalBalance,
  listResource,
  paymentToken,
  quote,
  registerProvider,
  renew,
  renewalBalance,
  runway,
  setRenewalPolicy,
  withdrawRenewalBalance,
  write,
} from "../src/actions.ts";
import { mockERC20Abi } from "../src/generated/abis.ts";
import { provisioningTypes, slaDomain } from "../src/sla.ts";

const DCX = fileURLToPath(new URL("../src/cli/dcx.ts", import.meta.url));
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
const KEY = "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170";
const accountOf = (index: number) => mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
const keyOf = (index: number) => toHex(accountOf(index).getHdKey().privateKey!);
const [ORACLE, PROVIDER, CONSUMER, STRANGER] = [2, 7, 8, 9];

let local: DeployedChain;
let client: (index: number) => DcxClient;

before(async () => {
  local = await startDeployedChain("dcx-renewals-");
  client = (index) =>
    createDcxClient({ deployment: local.deployment, rpcUrl: local.chain.rpcUrl, account: accountOf(index) });
});

after(() => local?.stop());

async function advance(seconds: number): Promise<void> {
  await rpc(local.chain.rpcUrl, "evm_increaseTime", [seconds]);
  await rpc(local.chain.rpcUrl, "evm_mine");
}

/** The local oracle (a quorum of one) confirms provisioning: billing starts. */
async function provision(bookingId: bigint): Promise<void> {
  const oracle = client(ORACLE);
  const message = { bookingId, consumer: accountOf(CONSUMER).address, accessDetailsCid: CID };
  const signature = await oracle.walletClient!.signTypedData({
    domain: slaDomain(local.deployment.chainId, local.deployment.contracts.SLAEnforcement.proxy),
    types: provisioningTypes,
    primaryType: "Provisioning",
    message,
  });
  await write(oracle, {
    contract: "ResourceMarketplace",
    functionName: "confirmProvisioning",
    args: [bookingId, CID, [signature]],
  });
}

/** Books `resourceId` for an hour in `token` and has it provisioned. */
async function running(resourceId: bigint, token: string): Promise<bigint> {
  const consumer = client(CONSUMER);
  const price = await quote(consumer, { resourceId, hours: 1, token });
  const { bookingId } = await book(consumer, {
    resourceId,
    hours: 1,
    token,
    maxPayment: price.amount,
    minSla: price.sla,
    encryptionPublicKey: KEY,
    approve: true,
  });
  await provision(bookingId);
  return bookingId;
}

function dcx(args: string[], index: number) {
  const result = spawnSync(process.execPath, [DCX, ...args, "--json"], {
    encoding: "utf8",
    env: {
      ...process.env,
      DCX_RPC_URL: local.chain.rpcUrl,
      DCX_DEPLOYMENT: local.deploymentFile,
      DCX_SUBGRAPH_URL: "http://127.0.0.1:9/none",
      DCX_PRIVATE_KEY: keyOf(index),
    },
  });
  return { code: result.status, stderr: result.stderr, json: result.stdout ? JSON.parse(result.stdout) : undefined };
}

describe("renewals", { timeout: 300_000 }, () => {
  let resourceId: bigint;
  let ethBooking: bigint;
  let usdcBooking: bigint;

  before(async () => {
    const provider = client(PROVIDER);
    await registerProvider(provider, { profileCid: CID });
    const eth = paymentToken(local.deployment, "ETH").address as Hex;
    const usdc = paymentToken(local.deployment, "USDC").address as Hex;
    ({ resourceId } = await listResource(provider, {
      metadataCid: CID,
      region: "eu-west-1",
      kind: 0,
      terms: {
        pricePerHourUsdE8: parseUnits("1", 8),
        capacity: 5,
        minHours: 1,
        maxHours: 24,
        uptimeTargetBps: 9_900,
        maxLatencyMs: 0,
        acceptedTokens: [eth, usdc],
      },
    }));
    await write(client(CONSUMER), {
      contract: { name: "USDC", address: usdc, abi: mockERC20Abi },
      functionName: "mint",
      args: [accountOf(CONSUMER).address, parseUnits("100", 6)],
    });
    ethBooking = await running(resourceId, "ETH");
  });

  it("a stranger renews an ETH booking from the consumer's renewal balance, once per window", async () => {
    const consumer = client(CONSUMER);
    const before = await runway(consumer, ethBooking);
    assert.equal(before.state, "running");
    assert.equal(before.policy, null);
    assert.equal(before.nextRenewal, null);

    const { amount } = await quote(consumer, { resourceId, hours: 1, token: "ETH" });
    await setRenewalPolicy(consumer, {
      bookingId: ethBooking,
      hoursPerRenewal: 1,
      maxPricePerHourUsdE8: parseUnits("1.5", 8),
      budget: 2n * amount,
      fund: true,
    });
    assert.equal(
      await renewalBalance(consumer, accountOf(CONSUMER).address),
      2n * amount,
      "funded: the budget deposited",
    );
    const forecast = await runway(consumer, ethBooking);
    assert.equal(forecast.nextRenewal?.blockedBy, null, forecast.nextRenewal?.message);
    assert.equal(forecast.nextRenewal?.amount, amount);
    assert.ok(forecast.nextRenewal!.opensAt <= forecast.now, "a 1-hour booking is in its 1-hour window at once");

    const renewed = await renew(client(STRANGER), { bookingId: ethBooking });
    assert.ok(renewed.renewed);
    assert.equal(renewed.hours, 1);
    assert.equal(renewed.amount, amount);
    assert.equal(renewed.tip, 0n);
    assert.equal(renewed.budgetLeft, amount);
    assert.equal(renewed.endsAt, forecast.fundedUntil! + 3_600);
    assert.equal(renewed.resumed, false);
    assert.equal(await renewalBalance(consumer, accountOf(CONSUMER).address), amount);

    // Now 2 h from its end: out of the window, whoever calls and however often.
    const again = await renew(client(STRANGER), { bookingId: ethBooking });
    assert.deepEqual([again.renewed, !again.renewed && again.reason], [false, "NOT_IN_WINDOW"]);
    assert.match(!again.renewed ? again.message : "", /not within its renewal window/);

    // Half an hour before the new end it renews again, and then the budget is spent.
    await advance(renewed.endsAt - (await runway(consumer, ethBooking)).now - 1_800);
    const second = await renew(client(STRANGER), { bookingId: ethBooking });
    assert.ok(second.renewed, !second.renewed ? second.message : "");
    assert.equal(second.budgetLeft, 0n);
    assert.equal((await runway(consumer, ethBooking)).nextRenewal?.blockedBy, "BUDGET_EXHAUSTED");
    await advance(second.endsAt - (await runway(consumer, ethBooking)).now - 1_800);
    const spent = await renew(client(STRANGER), { bookingId: ethBooking });
    assert.equal(spent.renewed ? null : spent.reason, "BUDGET_EXHAUSTED");
  });

  it("runway forecasts each skip that renew then reports: allowance, budget, price", async () => {
    const consumer = client(CONSUMER);
    const stranger = client(STRANGER);
    usdcBooking = await running(resourceId, "USDC");
    const { amount } = await quote(consumer, { resourceId, hours: 1, token: "USDC" });
    const check = async (expected: string | null) => {
      const forecast = await runway(consumer, usdcBooking);
      assert.equal(forecast.nextRenewal?.blockedBy, expected, forecast.nextRenewal?.message);
      if (expected === null) return;
      const result = await renew(stranger, { bookingId: usdcBooking });
      assert.equal(result.renewed ? null : result.reason, expected);
    };
    const policy = { bookingId: usdcBooking, hoursPerRenewal: 1, maxPricePerHourUsdE8: parseUnits("1", 8) };
    // Booking with `approve` allowed exactly its price: nothing is left for a renewal.
    await setRenewalPolicy(consumer, { ...policy, budget: 5n * amount });
    await check("INSUFFICIENT_ALLOWANCE");
    await setRenewalPolicy(consumer, { ...policy, budget: amount - 1n });
    await check("BUDGET_EXHAUSTED");
    await setRenewalPolicy(consumer, { ...policy, maxPricePerHourUsdE8: parseUnits("0.99", 8), budget: 5n * amount });
    await check("PRICE_ABOVE_MAXIMUM");
    await cancelRenewalPolicy(consumer, { bookingId: usdcBooking });
    const none = await renew(stranger, { bookingId: usdcBooking });
    assert.equal(none.renewed ? null : none.reason, "NO_POLICY");
    await setRenewalPolicy(consumer, { ...policy, budget: 5n * amount, fund: true });
    await check(null);
  });

  it("resumes a booking in its grace with a renewal, billed from the resume; after the grace nothing renews", async () => {
    const consumer = client(CONSUMER);
    const ended = await runway(consumer, usdcBooking);
    await advance(ended.fundedUntil! - ended.now + 60);
    const grace = await runway(consumer, usdcBooking);
    assert.equal(grace.state, "grace");
    assert.equal(grace.graceEndsAt, grace.fundedUntil! + 180);
    assert.equal(grace.secondsLeft, 0);

    const resumed = await renew(client(STRANGER), { bookingId: usdcBooking });
    assert.ok(resumed.renewed && resumed.resumed);
    const after = await runway(consumer, usdcBooking);
    assert.equal(after.state, "running");
    assert.equal(after.fundedUntil, after.now + 3_600, "the renewed hour runs from the resume");

    // The ETH booking: past its end and its grace, it only awaits completion.
    const eth = await runway(consumer, ethBooking);
    if (eth.now < eth.graceEndsAt!) await advance(eth.graceEndsAt! - eth.now);
    const lapsed = await runway(consumer, ethBooking);
    assert.equal(lapsed.state, "lapsed");
    assert.equal(lapsed.nextRenewal, null);
    const late = await renew(client(STRANGER), { bookingId: ethBooking });
    assert.equal(late.renewed ? null : late.reason, "NOT_IN_WINDOW");
  });

  it("keeps renewal balances and policies to their owners, in words", async () => {
    const consumer = client(CONSUMER);
    await depositRenewalBalance(consumer, { amount: parseEther("0.001") });
    const held = await renewalBalance(consumer, accountOf(CONSUMER).address);
    await assert.rejects(
      withdrawRenewalBalance(consumer, { amount: held + 1n }),
      (error: DcxError) => error.errorName === "RenewalsInsufficientBalance" && /less than the/.test(error.message),
    );
    await withdrawRenewalBalance(consumer, { amount: held });
    assert.equal(await renewalBalance(consumer, accountOf(CONSUMER).address), 0n);
    await assert.rejects(
      setRenewalPolicy(client(STRANGER), {
        bookingId: usdcBooking,
        hoursPerRenewal: 1,
        maxPricePerHourUsdE8: 1n,
        budget: 1n,
      }),
      /Only the consumer of booking #\d+ can change its renewal policy/,
    );
    await assert.rejects(depositRenewalBalance(consumer, { amount: 0n }), /Enter an amount above zero/);
  });

  it("dcx sets auto-renew, shows the runway, renews and manages the renewal balance", async () => {
    const bookingId = await running(resourceId, "ETH");
    const set = dcx(
      ["auto-renew", "set", String(bookingId), "--hours", "1", "--max-price", "2", "--budget", "0.01"],
      CONSUMER,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.json.runway.nextRenewal.message, /renewal balance/, "not funded yet: the balance is short");
    assert.equal(set.json.runway.nextRenewal.blockedBy, "INSUFFICIENT_BALANCE");

    const deposit = dcx(["renewal-balance", "deposit", "--amount", "0.01"], CONSUMER);
    assert.equal(deposit.code, 0, deposit.stderr);
    assert.equal(deposit.json.balance, parseEther("0.01").toString());
    const shown = dcx(["runway", String(bookingId)], STRANGER);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.json.state, "running");
    assert.equal(shown.json.nextRenewal.blockedBy, null);

    const renewed = dcx(["renew", String(bookingId)], STRANGER);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.equal(renewed.json.renewed, true);
    const skipped = dcx(["renew", String(bookingId)], STRANGER);
    assert.equal(skipped.json.renewed, false);
    assert.equal(skipped.json.reason, "NOT_IN_WINDOW");

    const cancelled = dcx(["auto-renew", "cancel", String(bookingId)], CONSUMER);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const refused = dcx(["auto-renew", "cancel", String(bookingId)], CONSUMER);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /has no renewal policy/);
    const usage = dcx(["auto-renew", "set", String(bookingId), "--hours", "1"], CONSUMER);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--max-price is an amount/);
  });
});
