/**
 * dcx against a local chain with D-CloudX deployed: a provider registers and lists, a consumer
 * quotes and books, and the common mistakes end in a sentence and a non-zero exit: no allowance,
 * slippage, the wrong network, a paused resource, no funds. Keys come from the environment or an
 * encrypted keystore.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { createWalletClient, http, parseUnits, toHex } from "viem";
import { generatePrivateKey, mnemonicToAccount } from "viem/accounts";

import { type DeployedChain, HARDHAT_MNEMONIC, startDeployedChain } from "@d-cloudx/devstack";

import { mockERC20Abi } from "../src/generated/abis.ts";
import { parseDeployment } from "../src/deployments.ts";

const DCX = fileURLToPath(new URL("../src/cli/dcx.ts", import.meta.url));
const keyOf = (index: number) =>
  toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
const PROVIDER = keyOf(7);
const CONSUMER = keyOf(8);
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

let local: DeployedChain;

before(async () => {
  local = await startDeployedChain("dcx-cli-");
});

after(() => local?.stop());

/** Runs dcx; the subgraph is not started here, so writes skip waiting for it. */
function dcx(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [DCX, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      DCX_RPC_URL: local.chain.rpcUrl,
      DCX_DEPLOYMENT: local.deploymentFile,
      DCX_SUBGRAPH_URL: "http://127.0.0.1:9/none",
      ...env,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(args: string[], env: Record<string, string> = {}) {
  const result = dcx([...args, "--json"], env);
  assert.equal(result.code, 0, `dcx ${args.join(" ")} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function refused(args: string[], env: Record<string, string>, pattern: RegExp) {
  const result = dcx(args, env);
  assert.equal(result.code, 1, `dcx ${args.join(" ")} should fail: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, pattern);
  return result;
}

test("providers list, consumers book, and the common mistakes are explained", { timeout: 300_000 }, async () => {
  const provider = { DCX_PRIVATE_KEY: PROVIDER };
  const consumer = { DCX_PRIVATE_KEY: CONSUMER };
  ok(["register", CID], provider);
  // A provider takes bookings only while its bond covers them.
  ok(["bond", "deposit", "--token", "ETH", "--amount", "1"], provider);
  const listed = ok(
    [
      "list",
      "--metadata-cid",
      CID,
      "--region",
      "eu-west-1",
      "--price",
      "0.5",
      "--capacity",
      "3",
      "--tokens",
      "ETH,USDC,DCX",
    ],
    provider,
  );
  assert.equal(listed.resourceId, "1");

  const quote = ok(["quote", "1", "--hours", "2", "--token", "USDC"]);
  assert.equal(quote.amount, "1000000", "2 h at $0.50 is 1 USDC");

  // Happy path in ETH, with progress on stderr while the transaction is mined.
  const run = dcx(["book", "1", "--hours", "2", "--json"], consumer);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /ResourceMarketplace\.book: sent 0x[0-9a-f]{64}, waiting for it to be mined…/);
  assert.equal(JSON.parse(run.stdout).bookingId, "1");

  // No allowance: the token's own ERC-6093 error, in words.
  const deployment = parseDeployment(JSON.parse(readFileSync(local.deploymentFile, "utf8")));
  const usdc = deployment.paymentTokens.find((token) => token.symbol === "USDC")!.address as `0x${string}`;
  const wallet = createWalletClient({
    transport: http(local.chain.rpcUrl),
    account: mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 8 }),
  });
  await wallet.writeContract({
    chain: null,
    address: usdc,
    abi: mockERC20Abi,
    functionName: "mint",
    args: [wallet.account.address, parseUnits("10", 6)],
  });
  refused(
    ["book", "1", "--hours", "2", "--token", "USDC"],
    consumer,
    /token allowance .* is smaller than the 1000000 needed: approve the EscrowManager first/,
  );
  assert.equal(ok(["book", "1", "--hours", "2", "--token", "USDC", "--approve"], consumer).amount, "1000000");

  // Slippage: a limit below the price.
  refused(["book", "1", "--hours", "2", "--max-payment", "0.00001"], consumer, /moved beyond your slippage limit/);

  // Wrong network: a deployment record of another chain.
  const other = join(local.work, "other.json");
  writeFileSync(
    other,
    JSON.stringify({ ...JSON.parse(readFileSync(local.deploymentFile, "utf8")), chainId: 11155111 }),
  );
  refused(
    ["quote", "1", "--hours", "2"],
    { DCX_DEPLOYMENT: other },
    /Wrong network: the RPC endpoint is chain 31337, but the deployment "localhost" is on chain 11155111/,
  );

  // Paused resource.
  ok(["pause", "1"], provider);
  refused(
    ["book", "1", "--hours", "2"],
    consumer,
    /Resource #1 cannot be booked or changed in its current state \(paused\)/,
  );
  ok(["unpause", "1"], provider);

  // Insufficient funds: a new key without ETH.
  refused(["book", "1", "--hours", "2"], { DCX_PRIVATE_KEY: generatePrivateKey() }, /Not enough ETH/);

  // Cancel before provisioning: a full refund, owed to the consumer.
  ok(["cancel", "1"], consumer);
  refused(["cancel", "1"], consumer, /Booking #1 is cancelled: it does not allow this/);

  // A usage mistake exits 2 with a pointer to help.
  const usage = dcx(["book", "1"], consumer);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--hours is a whole number ≥ 1\.\nSee dcx help\./);
});

test("keys from an encrypted keystore file", () => {
  const file = join(local.work, "key.json");
  const password = { DCX_KEYSTORE_PASSWORD: "a long pass phrase", DCX_SCRYPT_N: "1024" };
  const created = ok(["keystore", "new", file], { ...password, DCX_PRIVATE_KEY: CONSUMER });
  assert.equal(
    created.address.toLowerCase(),
    mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 8 }).address.toLowerCase(),
  );
  assert.equal(ok(["address", "--keystore", file], password).address.toLowerCase(), created.address.toLowerCase());
  refused(["address", "--keystore", file], { DCX_KEYSTORE_PASSWORD: "wrong" }, /Wrong keystore password/);
});

test("operators read every role and the guardian pauses the marketplace", () => {
  const deployment = parseDeployment(JSON.parse(readFileSync(local.deploymentFile, "utf8")));
  const timelock = deployment.governance.timelock;
  const deployer = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 0 }).address;
  const held = ok(["roles", timelock, deployer]);
  assert.deepEqual(held[timelock].ResourceMarketplace.sort(), ["DEFAULT_ADMIN_ROLE", "UPGRADER_ROLE"]);
  assert.deepEqual(held[timelock].TimelockController, ["DEFAULT_ADMIN_ROLE"]);
  assert.ok(
    !held[deployer].ResourceMarketplace.includes("DEFAULT_ADMIN_ROLE"),
    "the deployer handed over its admin role",
  );
  assert.match(dcx(["roles"]).stdout, /\(the timelock\):\n {2}PriceOracle +DEFAULT_ADMIN_ROLE, UPGRADER_ROLE/);

  // Account #0 is the local deployment's guardian; a consumer is not.
  const guardian = { DCX_PRIVATE_KEY: keyOf(0) };
  refused(["guardian", "pause"], { DCX_PRIVATE_KEY: CONSUMER }, /Only the guardian \(GUARDIAN_ROLE\) may do that/);
  assert.equal(ok(["guardian", "pause"], guardian).paused, true);
  refused(["book", "1", "--hours", "2"], { DCX_PRIVATE_KEY: CONSUMER }, /paused/i);
  assert.equal(ok(["guardian", "unpause"], guardian).paused, false);
  assert.match(dcx(["guardian"]).stdout, /The marketplace is open\./);
});
