/**
 * The dApp as users get it: built for a real local stack, loaded from the IPFS gateway, driven in
 * Chromium with a test wallet. Every page renders at desktop and phone width; hostile metadata
 * stays text; the GraphQL API the dApp is typed against is the one graph-node serves.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import type { Browser } from "playwright-core";
import { type Address, zeroAddress } from "viem";

import { waitFor } from "@d-cloudx/devstack/process";
import { ipfsAdd } from "@d-cloudx/devstack/ipfs-add";
import { fetchSubgraphSchema } from "../scripts/fetch-schema.ts";
import { connectWallet, launchBrowser, screenshot, walletPage } from "./lib/browser.ts";
import { ACCOUNTS, clients } from "./lib/chain.ts";
import { type DappStack, startDappStack } from "./lib/stack.ts";

const ROUTES = [
  ["/", "marketplace"],
  ["/bookings", "bookings"],
  ["/provider", "provider-console"],
  ["/governance", "governance"],
  ["/analytics", "analytics"],
] as const;

/** A listing written to do harm if it were rendered as HTML. */
const HOSTILE_NAME = `<img src=x onerror="window.__pwned=1">`;
const HOSTILE_DESCRIPTION = `<script>window.__pwned=1</script> <a href="javascript:window.__pwned=1">click</a>`;

describe("dApp", { timeout: 900_000 }, () => {
  let dapp: DappStack;
  let browser: Browser;

  const addJson = (document: unknown) =>
    ipfsAdd(dapp.stack.ipfsUrl, [{ path: "document.json", content: JSON.stringify(document) }]);

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

  for (const viewport of [
    { width: 1280, height: 900 },
    { width: 375, height: 812 },
  ]) {
    it(`renders every page at ${viewport.width} px without errors`, async () => {
      const wallet = { rpcUrl: dapp.rpcUrl, chainId: dapp.deployment.chainId, account: ACCOUNTS.consumer };
      const { page, errors, context } = await walletPage(browser, wallet, viewport);
      await page.goto(dapp.dappUrl);
      await connectWallet(page);
      for (const [route, name] of ROUTES) {
        await page.goto(`${dapp.dappUrl}#${route}`);
        await page.getByRole("heading", { level: 1 }).first().waitFor();
        await page.waitForLoadState("networkidle");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} is ${overflow} px wider than the ${viewport.width} px screen`);
        await screenshot(page, `page-${name}-${viewport.width}`);
      }
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  it("shows hostile metadata as text, and refuses documents that break the schema", async () => {
    const chain = clients(dapp.rpcUrl);
    const marketplace = dapp.deployment.contracts.ResourceMarketplace.proxy as Address;
    const author = chain.wallet(ACCOUNTS.author);
    const mined = async (hash: `0x${string}`) => chain.public.waitForTransactionReceipt({ hash });
    const profile = await addJson({ version: 1, displayName: HOSTILE_NAME, website: "javascript:alert(1)" });
    await mined(
      await author.writeContract({
        address: marketplace,
        abi: resourceMarketplaceAbi,
        functionName: "registerProvider",
        args: [profile],
      }),
    );
    const list = async (metadata: unknown) =>
      mined(
        await author.writeContract({
          address: marketplace,
          abi: resourceMarketplaceAbi,
          functionName: "listResource",
          args: [
            {
              metadataCid: await addJson(metadata),
              region: "local-test",
              kind: 0,
              terms: {
                pricePerHourUsdE8: 100_000_000n,
                capacity: 1,
                minHours: 1,
                maxHours: 10,
                uptimeTargetBps: 9_900,
                maxLatencyMs: 0,
                acceptedTokens: [zeroAddress],
              },
            },
          ],
        }),
      );
    const base = {
      version: 1,
      cloud: "local",
      region: "local-test",
      instanceType: "hostile",
      vcpu: 1,
      memoryGib: 1,
      storage: { sizeGib: 1, type: "ssd" },
      network: { bandwidthGbps: 1 },
      osImages: ["node-22"],
    };
    await list({ ...base, name: HOSTILE_NAME, description: HOSTILE_DESCRIPTION });
    await list({ ...base, name: "Huge", description: "x".repeat(40_000) });
    // Both documents checked by the index (the page shows what the index holds when it loads).
    await waitFor(
      "the index to check both documents",
      async () => {
        const response = await fetch(dapp.stack.graphNode.subgraphUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ resourceMetadataDocuments { status } }" }),
        });
        const { data } = (await response.json()) as { data?: { resourceMetadataDocuments: unknown[] } };
        return data?.resourceMetadataDocuments.length === 2 ? true : undefined;
      },
      60_000,
      500,
    );

    const wallet = { rpcUrl: dapp.rpcUrl, chainId: dapp.deployment.chainId, account: ACCOUNTS.consumer };
    const { page, errors, context } = await walletPage(browser, wallet);
    const pwned = () => page.evaluate(() => (window as { __pwned?: number }).__pwned);
    const javascriptLinks = () => page.locator('a[href^="javascript:"]').count();

    await page.goto(`${dapp.dappUrl}#/?all=1`);
    const card = page.getByTestId("resource-card").filter({ hasText: HOSTILE_NAME });
    await card.waitFor({ timeout: 60_000 });
    await screenshot(page, "hostile-marketplace");
    await card.getByRole("link").first().click();
    await page.getByRole("heading", { name: HOSTILE_NAME }).waitFor();
    await page.getByText(HOSTILE_DESCRIPTION).waitFor();
    await screenshot(page, "hostile-resource");
    assert.equal(await pwned(), undefined);
    assert.equal(await javascriptLinks(), 0);

    await page.goto(`${dapp.dappUrl}#/providers/${ACCOUNTS.author}`);
    await page
      .getByText(/website/i)
      .first()
      .waitFor();
    await screenshot(page, "hostile-provider");
    assert.equal(await pwned(), undefined);
    assert.equal(await javascriptLinks(), 0);

    // The oversized document is refused by the index and by the page alike.
    await page.goto(`${dapp.dappUrl}#/resources/2`);
    await page
      .getByText(/larger than|too large|too big|exceeds/i)
      .first()
      .waitFor({ timeout: 60_000 });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
