/**
 * The whole journey in Chromium against real everything (chain, IPFS, graph-node, oracle node with
 * the `local` adapter), with the dApp loaded from the IPFS gateway: a provider lists a resource, a
 * consumer finds and books it in ETH and USDC, the oracle provisions it, the consumer decrypts the
 * access details and uses the workload; the workload dies and the next SLA period is a violation
 * with a credit and a lower reputation; the provider withdraws; the consumer completes and rates;
 * a DAO proposal changes the protocol fee and the next booking pays it; a token the DAO adds is
 * listed and booked in the same build of the dApp.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import {
  escrowManagerAbi,
  mockERC20Abi,
  mockV3AggregatorAbi,
  priceOracleAbi,
  resourceMarketplaceAbi,
} from "@d-cloudx/sdk/abis";
import { BookingStatus } from "@d-cloudx/sdk/protocol";
import type { Browser, Locator, Page } from "playwright-core";
import { type Address, erc20Abi, parseUnits } from "viem";

import { type WalletPage, connectWallet, launchBrowser, screenshot, walletPage } from "./lib/browser.ts";
import { ACCOUNTS, advanceTime, clients, killWorkload, workloadFolder } from "./lib/chain.ts";
import { rpc } from "@d-cloudx/devstack/chain";
import { type DappStack, startDappStack } from "./lib/stack.ts";

interface ProviderRecord {
  scoreBps: number;
  compliant: number;
  violated: number;
  ratings: string;
}

const RESOURCE_NAME = "Journey loopback workstation";
const STEP_TIMEOUT = 60_000;

describe("the D-CloudX journey", { timeout: 1_200_000 }, () => {
  let dapp: DappStack;
  let browser: Browser;
  let provider: WalletPage;
  let consumer: WalletPage;
  let chain: ReturnType<typeof clients>;
  const bookings: bigint[] = [];
  let autoRenewed: bigint | undefined;

  const open = async (page: Page, route: string) => {
    await page.goto(`${dapp.dappUrl}#${route}`);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
  };
  /** Waits for the toast of a confirmed transaction (it outlives the form that sent it). */
  const confirmed = (page: Page, label: string) =>
    page
      .getByRole("status")
      .filter({ hasText: `${label}: confirmed` })
      .first()
      .waitFor({ timeout: STEP_TIMEOUT });
  /** The value shown for `label` in a definition list. */
  const term = (scope: Locator, label: string) =>
    scope.locator("dt", { hasText: label }).first().locator("xpath=following-sibling::dd[1]");
  const secretText = async (scope: Locator, label: string) =>
    (await term(scope, label).locator("pre").innerText()).trim();
  /** The provider's record on their public page, once `ready` holds for it. */
  const providerRecord = async (ready: (record: ProviderRecord) => boolean): Promise<ProviderRecord> => {
    const { page } = consumer;
    const deadline = Date.now() + STEP_TIMEOUT;
    await open(page, `/providers/${ACCOUNTS.provider}`);
    for (;;) {
      const main = page.locator("main");
      await main.locator("dt").or(main.getByText("New provider:")).first().waitFor();
      const isNew = (await main.locator("dt", { hasText: "SLA periods met" }).count()) === 0;
      const periods = isNew ? null : /(\d+) of (\d+)/.exec(await term(main, "SLA periods met").innerText());
      const record = {
        scoreBps: isNew ? 0 : Math.round(parseFloat(await term(main, "Ranking score").innerText()) * 100),
        compliant: Number(periods?.[1] ?? 0),
        violated: Number(periods?.[2] ?? 0) - Number(periods?.[1] ?? 0),
        ratings: isNew ? "" : (await term(main, "Rating").innerText()).trim(),
      };
      if (ready(record)) return record;
      if (Date.now() > deadline) throw new Error(`The provider's record stayed ${JSON.stringify(record)}`);
      await page.waitForTimeout(1_000);
      await page.reload();
    }
  };
  /** Opens the journey's resource from the marketplace and returns its booking form. */
  const openBookingForm = async (page: Page) => {
    await open(page, "/?cloud=local");
    await page.getByTestId("resource-card").filter({ hasText: RESOURCE_NAME }).getByRole("link").first().click();
    return page.getByRole("form", { name: "Book this resource" });
  };
  const bookingCard = (page: Page, bookingId: bigint) => page.locator(`article[data-booking-id="${bookingId}"]`);
  /** Registers the page's account as a provider and lists a local loopback workstation. */
  const registerAndList = async (
    page: Page,
    listing: { displayName: string; name: string; price: string },
    screenshots = false,
  ) => {
    await open(page, "/provider");
    await page.getByLabel("Display name").fill(listing.displayName);
    await page.getByLabel("Website (optional)").fill("https://journey.example");
    await page.getByRole("button", { name: "Register" }).click();
    await confirmed(page, "Register as provider");

    await page.getByRole("button", { name: "List a resource" }).click();
    await page.getByLabel("Name", { exact: true }).fill(listing.name);
    await page.getByLabel("Cloud").selectOption("local");
    await page.getByLabel("Description (optional)").first().fill("A loopback HTTP workload for the journey test.");
    await page.getByLabel("Region", { exact: true }).fill("local-test");
    await page.getByLabel("Instance type").fill("loopback-http");
    await page.getByLabel("vCPUs").fill("2");
    await page.getByLabel("Memory (GiB)").fill("4");
    await page.getByLabel("Storage (GiB)").fill("20");
    await page.getByLabel("Network bandwidth (Gbit/s)").fill("1");
    await page.getByLabel("OS images").fill("node-22");
    await page.getByLabel("Price per hour (USD)").fill(listing.price);
    await page.getByLabel("Capacity").fill("5");
    await page.getByLabel("Uptime target (%)").fill("99");
    for (const symbol of ["ETH", "USDC", "DAI", "DCX"]) {
      const box = page.getByRole("checkbox", { name: symbol, exact: true });
      if (!(await box.isChecked())) await box.check();
    }
    if (screenshots) await screenshot(page, "provider-list-form");
    await page.getByRole("button", { name: "Publish and list" }).click();
    await page.getByText(/Resource #\d+ is listed/).waitFor({ timeout: STEP_TIMEOUT });
    await page.getByText(listing.name).first().waitFor({ timeout: STEP_TIMEOUT });
  };
  /** Books the journey's resource for `hours` in USDC from the resource page; returns the booking id. */
  const bookInUsdc = async (hours: number) => {
    const form = await openBookingForm(consumer.page);
    await form.getByLabel(/^Hours/).fill(String(hours));
    await form.getByLabel("Pay with").selectOption({ label: "USDC" });
    await form.getByTestId("booking-total").filter({ hasText: "USDC" }).waitFor({ timeout: STEP_TIMEOUT });
    await form.getByRole("button", { name: "Approve USDC and book" }).click();
    const done = consumer.page.getByTestId("booking-confirmed");
    await done.waitFor({ timeout: STEP_TIMEOUT });
    return BigInt(/#(\d+)/.exec(await done.innerText())![1]!);
  };
  /** Opens the consumer's bookings on the card of `bookingId`, once the oracle has provisioned it. */
  const runningCard = async (bookingId: bigint) => {
    await open(consumer.page, "/bookings");
    const card = bookingCard(consumer.page, bookingId);
    await card.getByTestId("runway").waitFor({ timeout: STEP_TIMEOUT });
    return card;
  };
  const onChain = (bookingId: bigint) =>
    chain.public.readContract({
      address: marketplace(),
      abi: resourceMarketplaceAbi,
      functionName: "getBooking",
      args: [bookingId],
    });
  const usdcOf = (functionName: "allowance" | "balanceOf") =>
    chain.public.readContract({
      address: token("USDC").address as Address,
      abi: erc20Abi,
      functionName,
      args: functionName === "allowance" ? [ACCOUNTS.consumer, escrow()] : [ACCOUNTS.consumer],
    } as never) as Promise<bigint>;
  const token = (symbol: string) => dapp.deployment.paymentTokens.find((t) => t.symbol === symbol)!;
  const escrow = () => dapp.deployment.contracts.EscrowManager.proxy as Address;
  const marketplace = () => dapp.deployment.contracts.ResourceMarketplace.proxy as Address;

  before(async () => {
    dapp = await startDappStack(console.log);
    chain = clients(dapp.rpcUrl);
    browser = await launchBrowser();
    const wallet = (account: string) => ({ rpcUrl: dapp.rpcUrl, chainId: dapp.deployment.chainId, account });
    provider = await walletPage(browser, wallet(ACCOUNTS.provider));
    consumer = await walletPage(browser, wallet(ACCOUNTS.consumer));
    for (const { page } of [provider, consumer]) {
      await page.goto(dapp.dappUrl);
      await connectWallet(page);
    }
  });

  after(async () => {
    await browser?.close();
    await dapp?.stop();
  });

  it("the provider registers and lists a local resource with its metadata on IPFS", async () => {
    await registerAndList(provider.page, { displayName: "Journey Labs", name: RESOURCE_NAME, price: "1.50" }, true);
    await screenshot(provider.page, "provider-console");
  });

  it("the consumer finds it with a filter and books it in ETH", async () => {
    const { page } = consumer;
    await open(page, "/?cloud=local");
    const card = page.getByTestId("resource-card").filter({ hasText: RESOURCE_NAME });
    await card.waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, "marketplace-filtered");
    await card.getByRole("link").first().click();
    await page.getByRole("heading", { name: RESOURCE_NAME }).waitFor();
    const form = page.getByRole("form", { name: "Book this resource" });
    await form.getByLabel(/^Hours/).fill("1");
    await form.getByLabel("Pay with").selectOption({ label: "ETH" });
    await form.getByTestId("booking-total").waitFor();
    await screenshot(page, "resource-page");
    await form.getByRole("button", { name: "Book" }).click();
    const done = page.getByTestId("booking-confirmed");
    await done.waitFor({ timeout: STEP_TIMEOUT });
    bookings.push(BigInt(/#(\d+)/.exec(await done.innerText())![1]!));
  });

  it("the oracle provisions it; the access details decrypt in the browser and open the workload", async () => {
    const { page } = consumer;
    await open(page, "/bookings");
    const card = bookingCard(page, bookings[0]!);
    await card.getByRole("button", { name: "Show access details" }).waitFor({ timeout: STEP_TIMEOUT });
    await card.getByRole("button", { name: "Show access details" }).click();
    await card.getByRole("heading", { name: "Access details" }).waitFor({ timeout: STEP_TIMEOUT });
    await card.getByRole("button", { name: "Reveal" }).click();
    const url = await secretText(card, "URL");
    const secret = await secretText(card, "Bearer token");
    await screenshot(page, "bookings-access-details");

    const authorization = { authorization: `Bearer ${secret}` };
    const put = await fetch(`${url}files/journey.txt`, { method: "PUT", body: "hello", headers: authorization });
    assert.equal(put.status, 201);
    assert.equal(await (await fetch(`${url}files/journey.txt`, { headers: authorization })).text(), "hello");
  });

  it("the workload dies: the next SLA period is a violation, the consumer is credited, the reputation drops", async () => {
    // A compliant period first, so that the provider has a reputation to lose.
    await advanceTime(dapp.rpcUrl, 61);
    const before = await providerRecord((record) => record.compliant >= 1);
    killWorkload(dapp.oracleDir, bookings[0]!);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // probes fail meanwhile
    await advanceTime(dapp.rpcUrl, 61);
    const afterwards = await providerRecord((record) => record.violated >= 1);
    assert.ok(afterwards.scoreBps < before.scoreBps, `reputation ${before.scoreBps} → ${afterwards.scoreBps} bps`);
    await screenshot(consumer.page, "provider-page");

    const { page } = consumer;
    await open(page, "/bookings");
    const card = bookingCard(page, bookings[0]!);
    await card.getByRole("cell", { name: "Violated" }).first().waitFor({ timeout: STEP_TIMEOUT });
    assert.doesNotMatch(await term(card, "SLA credits").innerText(), /^\s*0 ETH/);
    await screenshot(page, "bookings-violation");
  });

  it("the consumer books it again, paying in the stablecoin", async () => {
    const usdc = token("USDC");
    await chain.public.waitForTransactionReceipt({
      hash: await chain.wallet(ACCOUNTS.consumer).writeContract({
        address: usdc.address as Address,
        abi: mockERC20Abi,
        functionName: "mint",
        args: [ACCOUNTS.consumer, parseUnits("1000", usdc.decimals)],
      }),
    });
    const { page } = consumer;
    const form = await openBookingForm(page);
    await form.getByLabel(/^Hours/).fill("2");
    await form.getByLabel("Pay with").selectOption({ label: "USDC" });
    const balance = () =>
      chain.public.readContract({
        address: usdc.address as Address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [ACCOUNTS.consumer],
      });
    const before = await balance();
    await form.getByRole("button", { name: "Approve USDC and book" }).click();
    const done = page.getByTestId("booking-confirmed");
    await done.waitFor({ timeout: STEP_TIMEOUT });
    bookings.push(BigInt(/#(\d+)/.exec(await done.innerText())![1]!));
    const paid = before - (await balance());
    assert.equal(paid, parseUnits("3", usdc.decimals), "2 h at $1.50 in USDC at $1");
    const allowance = await chain.public.readContract({
      address: usdc.address as Address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [ACCOUNTS.consumer, escrow()],
    });
    assert.ok(
      allowance * 100n <= paid,
      `the approval covered this booking and its slippage margin only (${allowance} left)`,
    );
  });

  it("the consumer extends the stablecoin booking by an hour in one click, at today's price", async () => {
    const { page } = consumer;
    await open(page, "/bookings");
    const card = bookingCard(page, bookings[1]!);
    const extend = card.getByRole("form", { name: "Extend this booking" });
    await extend
      .getByTestId("extension-quote")
      .filter({ hasText: "at today's price" })
      .waitFor({ timeout: STEP_TIMEOUT });
    await extend.getByRole("button", { name: "Extend" }).click();
    await confirmed(page, `Extend booking #${bookings[1]}`);
    await card.getByText(/^3 h \(1 extension\)/).waitFor({ timeout: STEP_TIMEOUT });
    const booking = await chain.public.readContract({
      address: marketplace(),
      abi: resourceMarketplaceAbi,
      functionName: "getBooking",
      args: [bookings[1]!],
    });
    assert.equal(booking.hoursBooked, 3);
    await screenshot(page, "bookings-extended");
  });

  it("the provider withdraws what the service earned", async () => {
    const { page } = provider;
    await open(page, "/provider?tab=earnings");
    const withdraw = page.getByRole("button", { name: /^Withdraw all \(\d+\)/ });
    await withdraw.waitFor({ timeout: STEP_TIMEOUT });
    await withdraw.click();
    await confirmed(page, "Withdraw all earnings");
    const withdrawn = term(page.getByRole("region", { name: "Earnings in ETH" }), "Withdrawn so far");
    await withdrawn.filter({ hasNotText: /^0 ETH/ }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, "provider-earnings");
  });

  it("the booking ends and completes; the consumer rates the provider", async () => {
    await advanceTime(dapp.rpcUrl, 3_600);
    const { page } = consumer;
    await open(page, "/bookings");
    const card = bookingCard(page, bookings[0]!);
    // The oracle node completes ended bookings (and deprovisions them); the consumer may too.
    const rate = card.getByRole("button", { name: "Submit rating" });
    const complete = card.getByRole("button", { name: "Complete" });
    await rate.or(complete).first().waitFor({ timeout: STEP_TIMEOUT });
    if (await complete.isVisible()) {
      // The oracle node may complete it first, taking the button away: the rating form follows either way.
      await complete.click({ timeout: 10_000 }).catch(() => undefined);
      await rate.waitFor({ timeout: STEP_TIMEOUT });
    }
    await card.locator("label", { hasText: "4 stars" }).click();
    await card.getByRole("button", { name: "Submit rating" }).click();
    await confirmed(page, `Rate booking #${bookings[0]}`);
    await providerRecord((record) => /\b4\.0 \(1\)$/.test(record.ratings));
  });

  it("a DAO proposal changes the protocol fee, and the next booking pays the new fee", async () => {
    const voter = await walletPage(browser, {
      rpcUrl: dapp.rpcUrl,
      chainId: dapp.deployment.chainId,
      account: ACCOUNTS.voter,
    });
    const { page } = voter;
    await page.goto(dapp.dappUrl);
    await connectWallet(page);
    await open(page, "/governance/new");
    await page.getByLabel("New fee (%)").fill("5");
    await page
      .getByLabel("Description")
      .fill(`The treasury funds the oracles; ${RESOURCE_NAME} shows the fee applies at once.`);
    await screenshot(page, "governance-new");
    await page.getByRole("button", { name: "Propose" }).click();
    await confirmed(page, "Propose");
    await page.waitForFunction(() => /^#\/governance\/\d+/.test(location.hash), null, { timeout: STEP_TIMEOUT });

    // The proposal's state is read again on a reload, as a user would after waiting.
    await advanceTime(dapp.rpcUrl, 2); // voting opens after the 1 s delay
    await page.reload();
    await page.getByRole("radio", { name: "For" }).check();
    await page.getByRole("button", { name: "Cast vote" }).click();
    await confirmed(page, "Vote");
    await screenshot(page, "governance-proposal");

    await advanceTime(dapp.rpcUrl, 301); // the voting period ends
    await page.reload();
    await page.getByRole("button", { name: /^Queue/ }).click();
    await confirmed(page, "Queue proposal");
    // The page follows the chain's clock: Execute opens once the timelock delay has passed.
    await advanceTime(dapp.rpcUrl, 61);
    await page.getByRole("button", { name: /^Execute/ }).click();
    await confirmed(page, "Execute proposal");
    await open(page, "/governance");
    await screenshot(page, "governance");
    await voter.context.close();

    const settings = await chain.public.readContract({
      address: escrow(),
      abi: escrowManagerAbi,
      functionName: "settings",
    });
    assert.equal(settings.protocolFeeBps, 500);

    // The next booking: the oracle provisions it and billing starts under the new fee.
    const form = await openBookingForm(consumer.page);
    await form.getByLabel("Pay with").selectOption({ label: "ETH" });
    await form.getByRole("button", { name: "Book" }).click();
    const done = consumer.page.getByTestId("booking-confirmed");
    await done.waitFor({ timeout: STEP_TIMEOUT });
    const bookingId = BigInt(/#(\d+)/.exec(await done.innerText())![1]!);
    const deadline = Date.now() + STEP_TIMEOUT;
    for (;;) {
      const stream = await chain.public.readContract({
        address: escrow(),
        abi: escrowManagerAbi,
        functionName: "streamOf",
        args: [bookingId],
      });
      if (stream.startedAt > 0) {
        assert.equal(stream.feeBps, 500);
        break;
      }
      assert.ok(Date.now() < deadline, "the oracle did not provision the booking");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  it("a token the DAO adds is listed and booked without rebuilding the dApp", async () => {
    const bytecode = (file: string, name: string) =>
      JSON.parse(readFileSync(new URL(`../../artifacts/${file}/${name}.json`, import.meta.url), "utf8")).bytecode;
    const deployer = chain.wallet(ACCOUNTS.voter);
    const deploy = async (hash: `0x${string}`) =>
      (await chain.public.waitForTransactionReceipt({ hash })).contractAddress!;
    const eurc = await deploy(
      await deployer.deployContract({
        abi: mockERC20Abi,
        bytecode: bytecode("contracts/mocks/MockERC20.sol", "MockERC20"),
        args: ["Euro Coin", "EURC", 6],
      }),
    );
    const feed = await deploy(
      await deployer.deployContract({
        abi: mockV3AggregatorAbi,
        bytecode: bytecode("@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol", "MockV3Aggregator"),
        args: [8, 110_000_000n],
      }),
    );
    // What an executed proposal does: the timelock, which holds the PriceOracle's admin role, adds it.
    const timelock = dapp.deployment.governance.timelock as Address;
    await rpc(dapp.rpcUrl, "hardhat_impersonateAccount", [timelock]);
    await rpc(dapp.rpcUrl, "hardhat_setBalance", [timelock, "0xde0b6b3a7640000"]);
    await chain.public.waitForTransactionReceipt({
      hash: await chain.wallet(timelock).writeContract({
        address: dapp.deployment.contracts.PriceOracle.proxy as Address,
        abi: priceOracleAbi,
        functionName: "setPaymentToken",
        args: [eurc, feed, 86_400],
      }),
    });
    await rpc(dapp.rpcUrl, "hardhat_stopImpersonatingAccount", [timelock]);

    // The provider accepts it, from the list the subgraph gives.
    const { page } = provider;
    await open(page, "/provider");
    const resource = page.locator("li[data-resource-id]").filter({ hasText: RESOURCE_NAME });
    await resource.getByRole("button", { name: "Edit terms" }).click();
    const box = resource.getByRole("checkbox", { name: "EURC", exact: true });
    await box.waitFor({ timeout: STEP_TIMEOUT });
    await box.check();
    await resource.getByRole("button", { name: "Save terms" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /^Update terms of resource #\d+: confirmed/ })
      .first()
      .waitFor({ timeout: STEP_TIMEOUT });

    // The consumer pays in it.
    await chain.public.waitForTransactionReceipt({
      hash: await chain.wallet(ACCOUNTS.consumer).writeContract({
        address: eurc,
        abi: mockERC20Abi,
        functionName: "mint",
        args: [ACCOUNTS.consumer, parseUnits("100", 6)],
      }),
    });
    const form = await openBookingForm(consumer.page);
    await form
      .getByLabel("Pay with")
      .locator("option", { hasText: "EURC" })
      .waitFor({ state: "attached", timeout: STEP_TIMEOUT });
    await form.getByLabel(/^Hours/).fill("1");
    await form.getByLabel("Pay with").selectOption({ label: "EURC" });
    await form.getByTestId("booking-total").filter({ hasText: "EURC" }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(consumer.page, "resource-page-new-token");
    await form.getByRole("button", { name: "Approve EURC and book" }).click();
    await consumer.page.getByTestId("booking-confirmed").waitFor({ timeout: STEP_TIMEOUT });
    const paid =
      parseUnits("100", 6) -
      (await chain.public.readContract({
        address: eurc,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [ACCOUNTS.consumer],
      }));
    assert.ok(paid > 0n && paid < parseUnits("2", 6), `$1.50 at $1.10 a EURC, paid ${paid}`);
  });

  it("after the provider terminates a booking, the consumer re-books the closest equivalent elsewhere with the refund", async () => {
    const standby = "Journey standby workstation";
    const second = await walletPage(browser, {
      rpcUrl: dapp.rpcUrl,
      chainId: dapp.deployment.chainId,
      account: ACCOUNTS.author,
    });
    await second.page.goto(dapp.dappUrl);
    await connectWallet(second.page);
    await registerAndList(second.page, { displayName: "Standby Labs", name: standby, price: "1.60" });
    await second.context.close();

    const bookingId = await bookInUsdc(2);
    await runningCard(bookingId);
    const { request } = await chain.public.simulateContract({
      account: ACCOUNTS.provider,
      address: marketplace(),
      abi: resourceMarketplaceAbi,
      functionName: "terminateBooking",
      args: [bookingId],
    });
    await chain.public.waitForTransactionReceipt({
      hash: await chain.wallet(ACCOUNTS.provider).writeContract(request),
    });

    const { page } = consumer;
    await open(page, "/bookings");
    const card = bookingCard(page, bookingId);
    await card.getByText("The provider terminated this booking.").waitFor({ timeout: STEP_TIMEOUT });
    // The standby costs more than the terminated booking did: nothing is offered until the consumer allows it.
    await card.getByText(/No equivalent resource with free capacity at this price/).waitFor({ timeout: STEP_TIMEOUT });
    await card.getByLabel("Highest price per hour (USD)").fill("2");
    const offer = card.getByTestId("replacement");
    await offer.getByText(standby).waitFor({ timeout: STEP_TIMEOUT });
    await offer.getByTestId("replacement-terms").filter({ hasText: "refund" }).waitFor({ timeout: STEP_TIMEOUT });
    assert.match(await offer.innerText(), /2 h/, "the hours the terminated booking had left");
    await screenshot(page, "bookings-replacement");
    const before = await usdcOf("balanceOf");
    await offer.getByRole("button", { name: "Withdraw refund and book" }).click();
    const booked = card.getByTestId("replacement-booked");
    await booked.waitFor({ timeout: STEP_TIMEOUT });
    const replacement = BigInt(/#(\d+)/.exec(await booked.innerText())![1]!);

    const [old, next] = await Promise.all([onChain(bookingId), onChain(replacement)]);
    assert.equal(next.hoursBooked, 2);
    assert.notEqual(next.resourceId, old.resourceId);
    const owed = await chain.public.readContract({
      address: escrow(),
      abi: escrowManagerAbi,
      functionName: "owed",
      args: [ACCOUNTS.consumer, token("USDC").address as Address],
    });
    assert.equal(owed, 0n, "the refund was withdrawn");
    const paid = before - (await usdcOf("balanceOf"));
    assert.ok(paid > 0n && paid < parseUnits("3.2", 6), `2 h at $1.60 less the refund withdrawn first: ${paid}`);
  });

  it("a booking with auto-renew stays alive across two renewals without the consumer doing anything", async () => {
    autoRenewed = await bookInUsdc(1);
    const card = await runningCard(autoRenewed);
    const form = card.getByRole("form", { name: "Auto-renew this booking" });
    await form.getByLabel("Renewals at most").fill("3");
    await form.getByTestId("auto-renew-terms").filter({ hasText: "Budget" }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(consumer.page, "bookings-auto-renew-form");
    await form.getByRole("button", { name: "Turn on auto-renew" }).click();
    await confirmed(consumer.page, `Auto-renew booking #${autoRenewed}`);
    await confirmed(consumer.page, "Approve renewals");

    // A 1-hour booking is within its renewal window at once: the oracle node renews it.
    await card.getByText(/^2 h \(1 renewal\)/).waitFor({ timeout: STEP_TIMEOUT });
    await advanceTime(dapp.rpcUrl, 3_600);
    await card.getByText(/^3 h \(2 renewals\)/).waitFor({ timeout: STEP_TIMEOUT });
    const booking = await onChain(autoRenewed);
    assert.equal(booking.hoursBooked, 3);
    assert.equal(booking.status, BookingStatus.Active);
    assert.match(await card.getByTestId("auto-renew").innerText(), /after 2 renewals/);
    await screenshot(consumer.page, "bookings-auto-renewed");

    // The provider's console counts them.
    await open(provider.page, "/provider?tab=bookings");
    const row = provider.page.locator(`li[data-booking-id="${autoRenewed}"]`);
    await row.getByText("2 renewals").waitFor({ timeout: STEP_TIMEOUT });
    await term(provider.page.locator("main"), "Renewed automatically")
      .filter({ hasText: /^2 \(2 h\)$/ })
      .waitFor({ timeout: STEP_TIMEOUT });
  });

  it("the allowance runs out: a warning, then grace with the workload suspended, then it is deprovisioned", async () => {
    const bookingId = autoRenewed!;
    // The consumer's wallet spends its allowance elsewhere.
    await chain.public.waitForTransactionReceipt({
      hash: await chain.wallet(ACCOUNTS.consumer).writeContract({
        address: token("USDC").address as Address,
        abi: erc20Abi,
        functionName: "approve",
        args: [escrow(), 0n],
      }),
    });
    const { page } = consumer;
    // The consumer allows notifications; the page's own Notification is observed as it is used.
    await consumer.context.grantPermissions(["notifications"]);
    await page.addInitScript(() => {
      const shown: string[] = [];
      Object.assign(window, { shownNotifications: shown });
      window.Notification = class extends window.Notification {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push(title);
        }
      };
    });
    await page.reload();
    const notified = (title: string) =>
      page.waitForFunction(
        (wanted) => (window as unknown as { shownNotifications: string[] }).shownNotifications.includes(wanted),
        title,
        { timeout: STEP_TIMEOUT },
      );
    const card = await runningCard(bookingId);
    await page.getByTestId("notifications-on").waitFor();
    await card
      .getByTestId("auto-renew")
      .and(page.locator('[data-blocked-by="INSUFFICIENT_ALLOWANCE"]'))
      .waitFor({ timeout: STEP_TIMEOUT });
    await card.getByRole("button", { name: "Approve USDC for renewals" }).waitFor();

    await advanceTime(dapp.rpcUrl, 3_600); // within the last hour, which a renewal would have covered
    await card.locator('[data-testid="runway-warning"][data-level="hour"]').waitFor({ timeout: STEP_TIMEOUT });
    await page.getByTestId("runway-alerts").getByText(`Booking #${bookingId} ends within 1 hour`).waitFor();
    await notified(`Booking #${bookingId} ends within 1 hour`);
    await screenshot(page, "bookings-runway-warning");

    await advanceTime(dapp.rpcUrl, 3_600); // past its end: in grace
    await card
      .getByTestId("grace")
      .filter({ hasText: /Suspended — extend before .+ to resume/ })
      .waitFor({
        timeout: STEP_TIMEOUT,
      });
    assert.match(await card.innerText(), /3 h \(2 renewals\)/, "no renewal without the allowance");
    await notified(`Booking #${bookingId} is suspended`);
    const deadline = Date.now() + STEP_TIMEOUT;
    for (;;) {
      const folder = workloadFolder(dapp.oracleDir, bookingId);
      if (folder && existsSync(join(folder, "paused"))) break;
      assert.ok(Date.now() < deadline, "the oracle node did not suspend the workload");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await screenshot(page, "bookings-grace");
    await open(provider.page, "/provider?tab=bookings");
    await provider.page
      .locator(`li[data-booking-id="${bookingId}"]`)
      .getByTestId("provider-grace")
      .waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(provider.page, "provider-bookings-grace");

    await advanceTime(dapp.rpcUrl, 181); // the local stack's grace is 180 s
    await card.getByTestId("ended-in-grace").waitFor({ timeout: STEP_TIMEOUT });
    assert.equal((await onChain(bookingId)).status, BookingStatus.Completed);
    assert.equal(workloadFolder(dapp.oracleDir, bookingId), undefined, "deprovisioned, its files removed");
  });

  it("the bookings page, with bookings renewed, suspended, ended and re-placed, reads at 375 px", async () => {
    const { page } = consumer;
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      await open(page, "/bookings");
      await bookingCard(page, autoRenewed!).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the bookings page is ${overflow} px wider than the screen`);
      await screenshot(page, "bookings-375");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it("every page rendered without errors", () => {
    assert.deepEqual([...provider.errors, ...consumer.errors], []);
  });
});
