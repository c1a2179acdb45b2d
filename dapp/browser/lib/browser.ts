/** Chromium from npm (@d-cloudx/devstack) driven by playwright-core. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";

import { CHROMIUM_ARGS, chromiumBinary } from "@d-cloudx/devstack/chromium";

import { type WalletOptions, injectWallet } from "./wallet.ts";

export const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  const { executablePath, env } = await chromiumBinary();
  return chromium.launch({ executablePath, env, args: CHROMIUM_ARGS });
}

export interface WalletPage {
  context: BrowserContext;
  page: Page;
  /** Problems the page reported (uncaught errors, console errors); a test asserts it stays empty. */
  errors: string[];
}

/** A page in its own browser context (own storage) with a test wallet for `account`. */
export async function walletPage(
  browser: Browser,
  wallet: WalletOptions,
  viewport = { width: 1280, height: 900 },
): Promise<WalletPage> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  await injectWallet(page, wallet);
  return { context, page, errors };
}

/** Connects through RainbowKit's "Browser Wallet" (the injected provider). */
export async function connectWallet(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Connect Wallet" }).first().click();
  await page.getByRole("button", { name: /Browser Wallet/ }).click();
  // Connected: RainbowKit's account button shows the shortened address.
  await page
    .getByRole("button", { name: /0x[0-9a-f]+…[0-9a-f]+/i })
    .first()
    .waitFor();
}

/** Saves a full-page screenshot under dapp/test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
