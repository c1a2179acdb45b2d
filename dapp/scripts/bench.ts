/**
 * `npm run bench:dapp`: how heavy and how fast the dApp is on first visit, as users get it.
 *
 * Starts a private stack on free ports (chain with D-CloudX, IPFS, PostgreSQL, graph-node), lists
 * resources with real metadata on IPFS so the marketplace has listings, builds the dApp for that
 * stack and publishes it to the IPFS node, which serves it from its gateway as in production. Then
 * reports:
 * - initialJsGzipKb: every script the marketplace's first visit loads until the network is idle
 *   (entry, preloads and the chunks loaded on the way), gzipped;
 * - totalJsGzipKb: every JS file of the build, gzipped;
 * - lighthousePerformance: Lighthouse's performance score in Chromium, with Lighthouse's default
 *   (mobile) settings: simulated slow 4G and a 4× slower CPU; lighthouseDesktop with desktop ones;
 * - firstListingMs: from navigation start to the first listing card on screen (median of
 *   BENCH_RUNS cold loads, default 5), with 12 resources listed, and again (atScale) with
 *   BENCH_SCALE_RESOURCES more (default 5,000).
 * Prints the machine and its load, writes bench-results/dapp.json (failing if a phase produced no
 * figure) and stops everything it started, also on failure.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { type ResourceMetadata, parseProviderProfile, parseResourceMetadata } from "@d-cloudx/sdk/metadata";
import lighthouse, { desktopConfig } from "lighthouse";
import { type Abi, type Hex, encodeFunctionData, zeroAddress } from "viem";

import {
  CHROMIUM_ARGS,
  type Service,
  type Stack,
  chromiumBinary,
  describeContext,
  freePort,
  machineContext,
  publishStackDapp,
  rpc,
  startService,
  startStack,
  stopOnSignals,
  stopService,
  waitFor,
  writeBenchResult,
  writeLocalDeployment,
} from "@d-cloudx/devstack";
import { launchBrowser } from "../browser/lib/browser.ts";

const CARD = '[data-testid="resource-card"]';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("BENCH_RUNS must be a positive whole number");
const SCALE = Number(process.env.BENCH_SCALE_RESOURCES ?? 5_000);
if (!Number.isInteger(SCALE) || SCALE < 1) throw new Error("BENCH_SCALE_RESOURCES must be a positive whole number");

// ---------------------------------------------------------------------------------------------
// Sizes

const gzipKb = (file: string) => gzipSync(readFileSync(file)).length / 1024;

/** Every JS file of the build, gzipped. */
function totalJs(dist: string) {
  const all = readdirSync(join(dist, "assets")).filter((name) => name.endsWith(".js"));
  return { files: all.length, gzipKb: all.reduce((sum, file) => sum + gzipKb(join(dist, "assets", file)), 0) };
}

/**
 * The scripts a first visit to `url` loads until the network has been idle for a second (a fresh
 * browser context: empty cache), gzipped as the gateway's files are.
 */
async function firstVisitScripts(url: string, dist: string): Promise<{ files: string[]; gzipKb: number }> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 412, height: 823 } });
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on("request", (request) => {
      if (request.resourceType() === "script") scripts.add(new URL(request.url()).pathname);
    });
    await page.goto(url, { waitUntil: "networkidle" });
    await page.waitForSelector(CARD, { timeout: 30_000 });
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(1_000);
    await context.close();
    const files = [...scripts].map((path) => path.replace(/^\/ipfs\/[^/]+\//, ""));
    return { files, gzipKb: files.reduce((sum, file) => sum + gzipKb(join(dist, file)), 0) };
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Listings

const GIB = [4, 8, 16, 32, 64];
const REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"];

function metadata(index: number): ResourceMetadata {
  const gpu = index % 3 === 0;
  return {
    version: 1,
    name: gpu ? `GPU node ${index + 1} (A10G)` : `General purpose VM ${index + 1}`,
    description: "A benchmark listing: dedicated vCPUs, local NVMe, hourly billing.",
    cloud: (["aws", "gcp", "azure"] as const)[index % 3]!,
    region: REGIONS[index % REGIONS.length]!,
    instanceType: gpu ? "g5.xlarge" : `m7i.${["large", "xlarge", "2xlarge"][index % 3]}`,
    vcpu: 2 ** (1 + (index % 4)),
    memoryGib: GIB[index % GIB.length]!,
    ...(gpu ? { gpu: { model: "NVIDIA A10G", count: 1, memoryGib: 24 } } : {}),
    storage: { sizeGib: 100 * (1 + (index % 4)), type: "nvme" },
    network: { bandwidthGbps: 10 },
    osImages: ["ubuntu-24.04", "debian-12"],
    tags: ["bench"],
  };
}

/** Adds JSON documents to IPFS in one request (CIDv1, as the dApp does); returns their CIDs in order. */
async function addJson(ipfsUrl: string, documents: unknown[]): Promise<string[]> {
  const form = new FormData();
  documents.forEach((document, index) => form.append("file", new Blob([JSON.stringify(document)]), `${index}.json`));
  const response = await fetch(`${ipfsUrl}/api/v0/add?cid-version=1&pin=true`, { method: "POST", body: form });
  if (!response.ok) throw new Error(`IPFS add failed (${response.status}): ${await response.text()}`);
  const added = (await response.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { Name: string; Hash: string });
  const cids = new Map(added.map(({ Name, Hash }) => [Name, Hash]));
  return documents.map((_, index) => cids.get(`${index}.json`)!);
}

/**
 * A provider (Hardhat account #5) registers (once) and lists `count` resources from `first`, each
 * with its metadata on IPFS, up to 50 to a block.
 */
async function listResources(rpcUrl: string, ipfsUrl: string, marketplace: string, first: number, count: number) {
  const provider = (await rpc<string[]>(rpcUrl, "eth_accounts"))[5]!;
  const sendRaw = (data: Hex) =>
    rpc<string>(rpcUrl, "eth_sendTransaction", [{ from: provider, to: marketplace, data, gas: "0x7a120" }]);
  const receipt = (hash: string) => rpc<{ status: string } | null>(rpcUrl, "eth_getTransactionReceipt", [hash]);
  const call = (functionName: string, args: unknown[]) =>
    encodeFunctionData({ abi: resourceMarketplaceAbi as Abi, functionName, args });

  if (first === 0) {
    const profile = { version: 1, displayName: "Benchmark Cloud" };
    if (!parseProviderProfile(JSON.stringify(profile)).ok)
      throw new Error("The benchmark's provider profile is invalid");
    const [cid] = await addJson(ipfsUrl, [profile]);
    const hash = await sendRaw(call("registerProvider", [cid]));
    if ((await receipt(hash))?.status !== "0x1") throw new Error("registerProvider failed");
  }
  const documents = Array.from({ length: count }, (_, i) => metadata(first + i));
  for (const document of documents) {
    const parsed = parseResourceMetadata(JSON.stringify(document));
    if (!parsed.ok) throw new Error(`The benchmark's metadata is invalid: ${parsed.errors.join("; ")}`);
  }
  const cids = await addJson(ipfsUrl, documents);
  await rpc(rpcUrl, "evm_setAutomine", [false]);
  const hashes: string[] = [];
  try {
    for (const [i, document] of documents.entries()) {
      const terms = {
        pricePerHourUsdE8: BigInt(25 + 10 * ((first + i) % 500)) * 1_000_000n,
        capacity: 4,
        minHours: 1,
        maxHours: 720,
        uptimeTargetBps: 9_900,
        maxLatencyMs: 0,
        acceptedTokens: [zeroAddress],
      };
      const region = document.region;
      hashes.push(
        await sendRaw(
          call("listResource", [
            { metadataCid: cids[i], region, kind: "gpu" in document && document.gpu ? 1 : 0, terms },
          ]),
        ),
      );
      if (hashes.length % 50 === 0) await rpc(rpcUrl, "evm_mine");
    }
    while (!(await receipt(hashes.at(-1)!))) await rpc(rpcUrl, "evm_mine");
  } finally {
    await rpc(rpcUrl, "evm_setAutomine", [true]);
  }
  for (const hash of [hashes[0]!, hashes.at(-1)!]) {
    if ((await receipt(hash))?.status !== "0x1") throw new Error(`listResource ${hash} failed`);
  }
}

/**
 * Waits until the subgraph has every listing and the metadata of the newest one: graph-node fetches
 * each document from IPFS (file data sources) and stores what it found when it processes a later
 * block, so blocks are mined meanwhile.
 */
async function waitForListings(stack: Stack, count: number) {
  await stack.graphNode.waitUntilSynced({ timeoutMs: 600_000 });
  class InvalidMetadata extends Error {}
  await waitFor(
    `the metadata of ${count} listings in the subgraph`,
    async () => {
      // Resource ids count up from 1: the newest is the count'th.
      const { resource: newest } = await stack.graphNode.query<{
        resource: { id: string; metadata: { status: string; error: string | null } | null } | null;
      }>(`{ resource(id: "${count}") { id metadata { status error } } }`);
      if (newest?.metadata?.status === "INVALID") {
        throw new InvalidMetadata(`Resource ${newest.id}'s metadata is invalid: ${newest.metadata.error}`);
      }
      if (newest?.metadata?.status === "VALID") return true;
      await rpc(stack.rpcUrl, "evm_mine");
      return undefined;
    },
    900_000,
    500,
    (error) => error instanceof InvalidMetadata,
  );
}

// ---------------------------------------------------------------------------------------------
// Browser measurements

/** Lighthouse's performance scores (0–100) for `url` with mobile and desktop settings, in a Chromium started for it. */
async function lighthouseScores(url: string, logDir: string): Promise<{ mobile: number; desktop: number }> {
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), "dcx-lighthouse-"));
  const binary = await chromiumBinary();
  const chromium: Service = startService(
    binary.executablePath,
    [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, "about:blank"],
    { logFile: join(logDir, "chromium.log"), env: binary.env },
  );
  const score = async (config?: typeof desktopConfig) => {
    const flags = { port, output: "json" as const, logLevel: "error" as const, onlyCategories: ["performance"] };
    const result = await lighthouse(url, flags, config);
    const value = result?.lhr.categories.performance?.score;
    if (typeof value !== "number") {
      throw new Error(`Lighthouse returned no performance score: ${result?.lhr.runtimeError?.message ?? "no result"}`);
    }
    return Math.round(value * 100);
  };
  try {
    await waitFor(
      "Chromium's DevTools port",
      async () => ((await fetch(`http://127.0.0.1:${port}/json/version`)).ok ? true : undefined),
      30_000,
      200,
    );
    return { mobile: await score(), desktop: await score(desktopConfig) };
  } finally {
    await stopService(chromium, "SIGTERM");
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Milliseconds from navigation start until the first listing card is in the document, for `runs`
 * cold loads (a fresh browser context each: empty cache and storage). Recorded in the page by a
 * MutationObserver, so the harness's own latency does not count.
 */
async function firstListingTimes(url: string, runs: number): Promise<number[]> {
  const browser = await launchBrowser();
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript((selector: string) => {
        const seen = () => {
          if (!document.querySelector(selector)) return false;
          (window as unknown as { firstListing: number }).firstListing = performance.now();
          return true;
        };
        const observer = new MutationObserver(() => seen() && observer.disconnect());
        observer.observe(document, { childList: true, subtree: true });
      }, CARD);
      await page.goto(url);
      await page.waitForSelector(CARD, { timeout: 30_000 });
      times.push(await page.evaluate(() => (window as unknown as { firstListing: number }).firstListing));
      await context.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

// ---------------------------------------------------------------------------------------------

async function main() {
  const before = machineContext();
  console.log(`Machine: ${describeContext(before)}`);
  const dataDir = mkdtempSync(join(tmpdir(), "dcx-bench-dapp-"));
  const logDir = join(dataDir, "logs");
  const log = (message: string) => console.log(message);
  const stack = await startStack({ dataDir, mode: "private", log }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  stopOnSignals(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  try {
    const marketplace = stack.deployment.contracts.ResourceMarketplace.proxy;
    const listings = 12;
    await listResources(stack.rpcUrl, stack.ipfsUrl, marketplace, 0, listings);
    await waitForListings(stack, listings);
    log(`Listed ${listings} resources`);

    const deploymentsDir = join(dataDir, "dapp-deployments");
    writeLocalDeployment(deploymentsDir, stack.deployment);
    const { outDir: dist, url } = await publishStackDapp(stack, deploymentsDir, join(dataDir, "dist"));
    log(`Built the dApp and published it: ${url}`);

    const total = totalJs(dist);
    const initial = await firstVisitScripts(url, dist);
    const times = await firstListingTimes(url, RUNS);
    const lighthouseScore = await lighthouseScores(url, logDir);

    log(`Listing ${SCALE} more resources…`);
    await listResources(stack.rpcUrl, stack.ipfsUrl, marketplace, listings, SCALE);
    await waitForListings(stack, listings + SCALE);
    const timesAtScale = await firstListingTimes(url, RUNS);

    const figures = {
      initialJsGzipKb: Math.round(initial.gzipKb * 10) / 10,
      initialJsFiles: initial.files.length,
      totalJsGzipKb: Math.round(total.gzipKb * 10) / 10,
      lighthousePerformance: lighthouseScore.mobile,
      lighthouseDesktop: lighthouseScore.desktop,
      firstListingMs: Math.round(median(times)),
      resources: listings,
      atScale: { resources: listings + SCALE, firstListingMs: Math.round(median(timesAtScale)) },
    };
    const runs = (values: number[]) => `median of ${RUNS}: ${values.map((ms) => Math.round(ms)).join(", ")}`;
    console.log("\ndApp from the IPFS gateway, marketplace route, first visit");
    console.table({
      "initial JS (gzip)": {
        value: `${figures.initialJsGzipKb} KB`,
        target: "≤ 250 KB",
        detail: `${initial.files.length} scripts loaded before idle`,
      },
      "total JS (gzip)": { value: `${figures.totalJsGzipKb} KB`, target: "", detail: `${total.files} files` },
      "Lighthouse performance": {
        value: String(lighthouseScore.mobile),
        target: "≥ 90",
        detail: `mobile (Lighthouse's default); desktop: ${lighthouseScore.desktop}`,
      },
      "first listing": {
        value: `${figures.firstListingMs} ms`,
        target: "≤ 1500 ms",
        detail: `${listings} listed, ${runs(times)}`,
      },
      "first listing at scale": {
        value: `${figures.atScale.firstListingMs} ms`,
        target: "",
        detail: `${listings + SCALE} listed, ${runs(timesAtScale)}`,
      },
    });
    writeBenchResult("dapp", figures, before);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
