/**
 * The published package, as an outsider gets it: built, packed with `npm pack`, installed from the
 * tarball into an empty folder outside the repository, type-checked against its declarations and
 * run against a local chain with D-CloudX deployed: a provider lists, a consumer books in ETH and,
 * after a refused booking without allowance, approves and books in USDC; the `dcx` bin quotes.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { type DeployedChain, startDeployedChain } from "@d-cloudx/devstack";

const SDK = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(import.meta.url);
const NPM = process.env.npm_execpath; // set when run through npm; otherwise npm on PATH
const npm = (args: string[], cwd: string) =>
  NPM
    ? execFileSync(process.execPath, [NPM, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    : execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

let local: DeployedChain;

before(async () => {
  local = await startDeployedChain("dcx-sdk-package-");
});

after(() => local?.stop());

const CONSUMER_SCRIPT = `
import { readFileSync } from "node:fs";
import { mnemonicToAccount } from "viem/accounts";
import { getAddress, parseUnits, zeroAddress } from "viem";
import {
  DcxError, ResourceKind, approveEscrow, book, createDcxClient, deriveAccessKey, listResource, paymentToken,
  parseDeployment, quote, registerProvider, withSlippage,
} from "@d-cloudx/sdk";
import { mockERC20Abi } from "@d-cloudx/sdk/abis";

const [rpcUrl, file] = process.argv.slice(2) as [string, string];
const deployment = parseDeployment(JSON.parse(readFileSync(file, "utf8")));
const mnemonic = "test test test test test test test test test test test junk";
const provider = createDcxClient({ deployment, rpcUrl, account: mnemonicToAccount(mnemonic, { addressIndex: 5 }) });
const consumer = createDcxClient({ deployment, rpcUrl, account: mnemonicToAccount(mnemonic, { addressIndex: 6 }) });
const usdc = getAddress(paymentToken(deployment, "USDC").address);

await registerProvider(provider, { profileCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy" });
const { resourceId } = await listResource(provider, {
  metadataCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
  region: "eu-west-1",
  kind: ResourceKind.VirtualMachine,
  terms: {
    pricePerHourUsdE8: parseUnits("0.5", 8), capacity: 5, minHours: 1, maxHours: 48, uptimeTargetBps: 9_900,
    maxLatencyMs: 0, acceptedTokens: [zeroAddress, usdc],
  },
});
const keys = await deriveAccessKey(consumer);

const ethQuote = await quote(consumer, { resourceId, hours: 3, token: "ETH" });
const inEth = await book(consumer, {
  resourceId, hours: 3, token: "ETH", maxPayment: withSlippage(ethQuote.amount, 100), minSla: ethQuote.sla, encryptionPublicKey: keys.publicKeyHex,
});

await consumer.walletClient!.writeContract({
  address: usdc, abi: mockERC20Abi, functionName: "mint", args: [consumer.walletClient!.account.address, parseUnits("100", 6)],
});
const usdcQuote = await quote(consumer, { resourceId, hours: 2, token: "USDC" });
let refused: { name?: string; message: string } | undefined;
try {
  await book(consumer, {
    resourceId, hours: 2, token: "USDC", maxPayment: usdcQuote.amount, minSla: usdcQuote.sla, encryptionPublicKey: keys.publicKeyHex,
  });
} catch (error) {
  if (!(error instanceof DcxError)) throw error;
  refused = { name: error.errorName, message: error.message };
}
await approveEscrow(consumer, { token: usdc, amount: usdcQuote.amount });
const inUsdc = await book(consumer, {
  resourceId, hours: 2, token: "USDC", maxPayment: usdcQuote.amount, minSla: usdcQuote.sla, encryptionPublicKey: keys.publicKeyHex,
});
console.log(JSON.stringify({
  resourceId: String(resourceId),
  eth: { bookingId: String(inEth.bookingId), amount: String(inEth.amount), quoted: String(ethQuote.amount) },
  usdc: { bookingId: String(inUsdc.bookingId), amount: String(inUsdc.amount), quoted: String(usdcQuote.amount) },
  refused,
}));
`;

test("the packed sdk installs outside the repository, type-checks and books end to end", { timeout: 600_000 }, () => {
  execFileSync(process.execPath, [join(SDK, "scripts/build.ts")], { stdio: "inherit" });
  const packed = join(local.work, "packed");
  mkdirSync(packed);
  npm(["pack", join(SDK, "dist"), "--pack-destination", packed], local.work);
  const [tarball] = readdirSync(packed);
  assert.match(tarball!, /^d-cloudx-sdk-0\.\d+\.\d+\.tgz$/);

  const app = join(local.work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "dcx-consumer", private: true, type: "module" }));
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  const [viem, nodeTypes] = [version("viem"), version("@types/node")];
  npm(
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      join(packed, tarball!),
      `viem@${viem}`,
      `@types/node@${nodeTypes}`,
    ],
    app,
  );

  writeFileSync(join(app, "book.ts"), CONSUMER_SCRIPT);
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2023",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
      },
      files: ["book.ts"],
    }),
  );
  // The declarations the package ships carry the ABI types: a typo in a function name would not compile.
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", app], { stdio: "inherit" });

  const result = JSON.parse(
    execFileSync(process.execPath, [join(app, "book.ts"), local.chain.rpcUrl, local.deploymentFile], {
      cwd: app,
      encoding: "utf8",
    }),
  );
  assert.equal(result.resourceId, "1");
  assert.equal(result.eth.amount, result.eth.quoted, "ETH booking pays the quote; the slippage margin is returned");
  assert.equal(result.usdc.amount, "1000000", "2 h at $0.50 is 1 USDC");
  assert.equal(result.refused.name, "ERC20InsufficientAllowance");
  assert.match(
    result.refused.message,
    /allowance .* is smaller than the 1000000 needed: approve the EscrowManager first/,
  );

  const dcx = join(app, "node_modules/.bin/dcx");
  const quoted = JSON.parse(
    execFileSync(
      dcx,
      [
        "quote",
        "1",
        "--hours",
        "2",
        "--token",
        "USDC",
        "--json",
        "--rpc",
        local.chain.rpcUrl,
        "--deployment",
        local.deploymentFile,
      ],
      {
        cwd: app,
        encoding: "utf8",
        env: { ...process.env, PATH: `${join(process.execPath, "..")}:${process.env.PATH}` },
      },
    ),
  );
  assert.equal(quoted.amount, "1000000");
});
