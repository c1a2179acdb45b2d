/**
 * The dApp as users get it: built for a real local stack, loaded from the IPFS gateway, driven in
 * Chromium with a test wallet.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import type { Browser } from "playwright-core";

import { fetchSubgraphSchema } from "../scripts/fetch-schema.ts";
import { connectWallet, launchBrowser, screenshot, walletPage } from "./lib/browser.ts";
import { type DappStack, startDappStack } from "./lib/stack.ts";

const CONSUMER = "0x90F79bf6EB2c4f870365E96E5Ac67C4bA8C1F4d4"; // Hardhat account #3

describe("dApp", { timeout: 600_000 }, () => {
  let dapp: DappStack;
  let browser: Browser;

  before(async () => {
    dapp = await startDappStack(console.log);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await dapp?.stop();
  });

  it("queries a subgraph API that matches the committed schema", async () => {
    const live = await fetchSubgraphSchema(dapp.stack.graphNode.subgraphUrl);
    const committed = readFileSync(new URL("../schema/subgraph.graphql", import.meta.url), "utf8");
    assert.equal(live, committed, "schema/subgraph.graphql is out of date: run `npm run schema -w dapp`");
  });

  it("loads from the IPFS gateway, connects a wallet and renders every page", async () => {
    const { page, errors, context } = await walletPage(browser, {
      rpcUrl: dapp.rpcUrl,
      chainId: dapp.deployment.chainId,
      account: CONSUMER,
    });
    await page.goto(dapp.dappUrl);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await connectWallet(page);
    for (const [route, name] of [
      ["", "marketplace"],
      ["#/bookings", "bookings"],
      ["#/provider", "provider-console"],
      ["#/governance", "governance"],
      ["#/analytics", "analytics"],
    ]) {
      await page.goto(`${dapp.dappUrl}${route}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await screenshot(page, `page-${name}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
});
