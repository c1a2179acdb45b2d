/**
 * `npm run bench:dapp`: how heavy and how fast the dApp is on first visit.
 *
 * Starts a private stack on free ports (chain with D-CloudX, IPFS, PostgreSQL, graph-node), lists
 * resources with real metadata on IPFS so the marketplace has listings, builds the dApp for that
 * stack and serves the build with `vite preview`. Then reports:
 * - initialJsGzipKb: JS the marketplace route loads on first visit (the entry script and the
 *   modules index.html preloads), gzipped;
 * - totalJsGzipKb: every JS file of the build, gzipped;
 * - lighthousePerformance: Lighthouse's performance score in Chromium, with Lighthouse's default
 *   (mobile) settings: simulated slow 4G and a 4× slower CPU; the desktop score is printed too;
 * - firstListingMs: from navigation start to the first listing card on screen (median of
 *   BENCH_RUNS cold loads, default 5).
 * Writes bench-results/dapp.json and stops everything it started, also on failure.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { type ResourceMetadata, parseProviderProfile, parseResourceMetadata } from "@d-cloudx/sdk/metadata";
import lighthouse, { desktopConfig } from "lighthouse";
import { type Abi, type Hex, encodeFunctionData, zeroAddress } from "viem";

import { rpc } from "@d-cloudx/devstack/chain";
import { type Service, freePort, startService, stopService, waitFor } from "@d-cloudx/devstack/process";
import { startStack } from "@d-cloudx/devstack/stack";
import { buildDapp } from "@d-cloudx/devstack/dapp";
import { ipfsAdd } from "@d-cloudx/devstack/ipfs-add";
import { CHROMIUM_ARGS, chromiumBinary } from "@d-cloudx/devstack/chromium";
import { launchBrowser } from "../browser/lib/browser.ts";

const DAPP_DIR = fileURLToPath(new URL("../", import.meta.url));
const RESULTS = fileURLToPath(new URL("../../bench-results/", import.meta.url));
const CARD = '[data-testid="resource-card"]';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("BENCH_RUNS must be a positive whole number");

// ---------------------------------------------------------------------------------------------
// Sizes

const gzipKb = (file: string) => gzipSync(readFileSync(file)).length / 1024;

/** The entry script and the modules index.html preloads: what the first visit loads before rendering. */
function initialScripts(indexHtml: string): string[] {
  const tags = indexHtml.match(/<(?:script|link)\b[^>]*>/g) ?? [];
  return tags.flatMap((tag) => {
    const isEntry = /^<script\b/.test(tag) && /\btype="module"/.test(tag);
    const isPreload = /^<link\b/.test(tag) && /\brel="modulepreload"/.test(tag);
    const url = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    return (isEntry || isPreload) && url ? [url.replace(/^\.?\//, "")] : [];
  });
}

function sizes(dist: string) {
  const initial = initialScripts(readFileSync(join(dist, "index.html"), "utf8"));
  if (initial.length === 0) throw new Error(`No entry script in ${dist}/index.html`);
  const all = readdirSync(join(dist, "assets")).filter((name) => name.endsWith(".js"));
  return {
    initialFiles: initial.length,
    initialJsGzipKb: initial.reduce((sum, file) => sum + gzipKb(join(dist, file)), 0),
    totalFiles: all.length,
    totalJsGzipKb: all.reduce((sum, file) => sum + gzipKb(join(dist, "assets", file)), 0),
  };
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

/** Adds a JSON document to IPFS (CIDv1, as the dApp does) and returns its CID. */
const addJson = (ipfsUrl: string, document: unknown) =>
  ipfsAdd(ipfsUrl, [{ path: "document.json", content: JSON.stringify(document) }]);

/** A provider (Hardhat account #5) registers and lists `count` resources, each with its metadata on IPFS. */
async function listResources(rpcUrl: string, ipfsUrl: string, marketplace: string, count: number) {
  const provider = (await rpc<string[]>(rpcUrl, "eth_accounts"))[5]!;
  /** Sends a transaction from the (unlocked) provider account; the local chain mines it at once. */
  const send = async (data: Hex) => {
    const hash = await rpc<string>(rpcUrl, "eth_sendTransaction", [{ from: provider, to: marketplace, data }]);
    const receipt = await rpc<{ status: string } | null>(rpcUrl, "eth_getTransactionReceipt", [hash]);
    if (receipt?.status !== "0x1") throw new Error(`Transaction ${hash} failed`);
  };
  const call = (functionName: string, args: unknown[]) =>
    encodeFunctionData({ abi: resourceMarketplaceAbi as Abi, functionName, args });

  const profile = { version: 1, displayName: "Benchmark Cloud" };
  if (!parseProviderProfile(JSON.stringify(profile)).ok) throw new Error("The benchmark's provider profile is invalid");
  await send(call("registerProvider", [await addJson(ipfsUrl, profile)]));
  for (let index = 0; index < count; index++) {
    const document = metadata(index);
    const parsed = parseResourceMetadata(JSON.stringify(document));
    if (!parsed.ok) throw new Error(`The benchmark's metadata is invalid: ${parsed.errors.join("; ")}`);
    const terms = {
      pricePerHourUsdE8: BigInt(25 + 10 * index) * 1_000_000n,
      capacity: 4,
      minHours: 1,
      maxHours: 720,
      uptimeTargetBps: 9_900,
      maxLatencyMs: 0,
      acceptedTokens: [zeroAddress],
    };
    const metadataCid = await addJson(ipfsUrl, document);
    await send(call("listResource", [{ metadataCid, region: document.region, kind: document.gpu ? 1 : 0, terms }]));
  }
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
  const dataDir = mkdtempSync(join(tmpdir(), "dcx-bench-dapp-"));
  const logDir = join(dataDir, "logs");
  const log = (message: string) => console.log(message);
  let preview: Service | undefined;
  const stack = await startStack({ dataDir, mode: "private", log }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const listings = 12;
    await listResources(stack.rpcUrl, stack.ipfsUrl, stack.deployment.contracts.ResourceMarketplace.proxy, listings);
    await stack.graphNode.waitUntilSynced();
    // graph-node fetches each metadata document from IPFS (file data sources) and stores what it
    // found when it processes the next block: mine blocks until every document is in.
    class InvalidMetadata extends Error {}
    await waitFor(
      "the listings' metadata in the subgraph",
      async () => {
        const { resources } = await stack.graphNode.query<{
          resources: { id: string; metadata: { status: string; error: string | null } | null }[];
        }>("{ resources { id metadata { status error } } }");
        const invalid = resources.find((resource) => resource.metadata?.status === "INVALID");
        if (invalid)
          throw new InvalidMetadata(`Resource ${invalid.id}'s metadata is invalid: ${invalid.metadata!.error}`);
        const valid = resources.filter((resource) => resource.metadata?.status === "VALID").length;
        if (valid < listings) {
          await rpc(stack.rpcUrl, "evm_mine");
          throw new Error(`${valid} of ${listings} documents indexed`);
        }
        return true;
      },
      180_000,
      500,
      (error) => error instanceof InvalidMetadata,
    );
    log(`Listed ${listings} resources`);

    const deploymentsDir = join(dataDir, "dapp-deployments");
    mkdirSync(deploymentsDir, { recursive: true });
    writeFileSync(join(deploymentsDir, "localhost.json"), JSON.stringify(stack.deployment, null, 2));
    const { outDir: dist } = await buildDapp({
      deployment: stack.deployment,
      deploymentsDir,
      outDir: join(dataDir, "dist"),
      env: {
        VITE_RPC_URL: stack.rpcUrl,
        VITE_SUBGRAPH_URL: stack.graphNode.subgraphUrl,
        VITE_IPFS_API_URL: stack.ipfsUrl,
        VITE_IPFS_GATEWAY_URL: stack.ipfsUrl,
      },
    });
    log("Built the dApp");

    const port = await freePort();
    preview = startService(join(DAPP_DIR, "node_modules/.bin/vite"), ["preview", "--bypass-lock", "--outDir", dist], {
      cwd: DAPP_DIR,
      env: { ...process.env, DAPP_PORT: String(port) },
      logFile: join(logDir, "preview.log"),
    });
    const url = `http://127.0.0.1:${port}/`;
    await waitFor("vite preview", async () => ((await fetch(url)).ok ? true : undefined), 30_000, 200);
    log(`Serving the build on ${url}`);

    const size = sizes(dist);
    const times = await firstListingTimes(url, RUNS);
    const lighthouseScore = await lighthouseScores(url, logDir);
    const results = {
      initialJsGzipKb: Math.round(size.initialJsGzipKb * 10) / 10,
      totalJsGzipKb: Math.round(size.totalJsGzipKb * 10) / 10,
      lighthousePerformance: lighthouseScore.mobile,
      firstListingMs: Math.round(median(times)),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, "dapp.json"), `${JSON.stringify(results, null, 2)}\n`);

    console.log("\ndApp, marketplace route, first visit");
    console.table({
      "initial JS (gzip)": {
        value: `${results.initialJsGzipKb} KB`,
        target: "≤ 250 KB",
        detail: `${size.initialFiles} files`,
      },
      "total JS (gzip)": { value: `${results.totalJsGzipKb} KB`, target: "", detail: `${size.totalFiles} files` },
      "Lighthouse performance": {
        value: String(lighthouseScore.mobile),
        target: "≥ 90",
        detail: `mobile (Lighthouse's default); desktop: ${lighthouseScore.desktop}`,
      },
      "first listing": {
        value: `${results.firstListingMs} ms`,
        target: "≤ 1500 ms",
        detail: `median of ${RUNS}: ${times.map((ms) => Math.round(ms)).join(", ")}`,
      },
    });
    console.log(`Wrote ${join(RESULTS, "dapp.json")}`);
  } finally {
    if (preview) await stopService(preview, "SIGTERM");
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
