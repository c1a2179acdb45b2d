#!/usr/bin/env node
/**
 * dcx: D-CloudX from a terminal, for consumers, providers, DCX holders and oracle operators. Every
 * command is an sdk action; `dcx help` lists them. Output is text, or JSON with --json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import {
  type Abi,
  type AbiFunction,
  type Account,
  type Address,
  type Hex,
  formatUnits,
  getAddress,
  isAddress,
  parseUnits,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import * as dcx from "../actions.ts";
import type { Deployment } from "../deployments.ts";
import { timelockControllerAbi } from "../generated/abis.ts";
import { RESOURCE_KIND_NAMES, RESOURCE_STATUS_NAMES, ResourceKind } from "../generated/protocol.ts";
import {
  type Action,
  buildFeeChange,
  buildPaymentTokenChange,
  buildUpgrade,
  composeDescription,
  knownContracts,
  parsePercentBps,
} from "../governance.ts";
import { decryptKeystore, encryptKeystore } from "../keystore.ts";
import { loadDeployment } from "../networks.ts";
import { type ResourceFilter, querySubgraph, resourceWhere, waitForIndexing } from "../subgraph.ts";

const HELP = `dcx — D-CloudX from the command line

Browse (subgraph)
  dcx resources [--kind VIRTUAL_MACHINE|GPU_MACHINE|STORAGE|BARE_METAL|CONTAINER] [--region R] [--cloud C]
                [--min-vcpu N] [--min-memory GiB] [--gpu] [--max-price USD/h] [--provider ADDRESS] [--first N]
  dcx resource <id>                        a resource: terms, metadata, provider record
  dcx bookings [--account ADDRESS]         the account's bookings
Consumers
  dcx quote <resource> --hours N [--token ETH]
  dcx book <resource> --hours N [--token ETH] [--slippage PERCENT] [--max-payment AMOUNT] [--approve | --permit]
  dcx extend <booking> --hours N [--slippage PERCENT] [--max-payment AMOUNT] [--approve | --permit]
                                           more hours at today's price, in the booking's token
  dcx runway <booking>                     funded until, grace, renewal policy and whether it will renew
  dcx auto-renew set <booking> --hours N --max-price USD/h --budget AMOUNT [--fund]
                                           renew by N h near the end, up to a price and a budget (in the
                                           booking's token); --fund approves the budget (ERC-20) or tops up
                                           the ETH renewal balance
  dcx auto-renew cancel <booking>
  dcx renew <booking>                      renews a booking by its policy (anyone; says why when it cannot)
  dcx renewal-balance [show|deposit|withdraw] [--amount ETH]
                                           the ETH that pays the account's ETH renewals
  dcx access <booking>                     fetches and decrypts the access details
  dcx cancel <booking> | dcx terminate <booking> | dcx complete <booking> | dcx rate <booking> <1-5>
  dcx claim [--token ETH] [--to ADDRESS]   refunds, SLA credits and fees the escrow owes the account
Providers
  dcx register <profile CID>
  dcx list --metadata-cid CID --region R --price USD/h [--kind VIRTUAL_MACHINE] [--capacity N] [--min-hours N]
           [--max-hours N] [--uptime PERCENT] [--max-latency MS] [--tokens ETH,USDC]
  dcx pause <resource> | dcx unpause <resource>
  dcx withdraw <booking>... [--to ADDRESS] earnings of one or more bookings
  dcx bond [show|deposit|unbond|withdraw] [--token ETH] [--amount AMOUNT]
  dcx rewards                              claims DCX rewards
Governance
  dcx gov delegate [ADDRESS]               delegates the account's DCX votes (default: to itself)
  dcx gov propose oracle-signers [--add A,B] [--remove C] [--quorum N] [--title T] [--body B]
  dcx gov propose fee --percent P
  dcx gov propose payment-token --token ADDRESS (--feed ADDRESS --heartbeat SECONDS | --disable)
  dcx gov propose upgrade --contract NAME --implementation ADDRESS [--data 0x…]
  dcx gov vote <proposal> [for|against|abstain] [--reason TEXT]
  dcx gov queue <proposal> | dcx gov execute <proposal> | dcx gov state <proposal> | dcx gov oracle-set
Operators
  dcx roles [ADDRESS...]                   the roles each address holds on every contract (default: the timelock)
  dcx guardian [status|pause|unpause]      the marketplace's emergency stop of new listings and bookings
Keys
  dcx address                              the signing account
  dcx keystore new <file>                  encrypts DCX_PRIVATE_KEY (or a new key) with a password

Options and environment
  --rpc URL         DCX_RPC_URL        chain JSON-RPC (default http://127.0.0.1:$CHAIN_PORT, 8545)
  --deployment F    DCX_DEPLOYMENT     a network name or deployment file (default deployments/localhost.json)
  --subgraph URL    DCX_SUBGRAPH_URL   (default http://127.0.0.1:$GRAPH_HTTP_PORT/subgraphs/name/d-cloudx)
  --ipfs URL        DCX_IPFS_GATEWAY   IPFS gateway (default http://127.0.0.1:$IPFS_API_PORT)
  --keystore FILE   DCX_KEYSTORE       encrypted key file; password from DCX_KEYSTORE_PASSWORD or a prompt
                    DCX_PRIVATE_KEY    the signing key (0x…), instead of a keystore
  --json            machine-readable output on stdout; progress stays on stderr
`;

const OPTIONS = {
  rpc: { type: "string" },
  deployment: { type: "string" },
  subgraph: { type: "string" },
  ipfs: { type: "string" },
  keystore: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  // Command options.
  hours: { type: "string" },
  token: { type: "string" },
  tokens: { type: "string" },
  slippage: { type: "string" },
  "max-payment": { type: "string" },
  approve: { type: "boolean" },
  permit: { type: "boolean" },
  account: { type: "string" },
  kind: { type: "string" },
  region: { type: "string" },
  cloud: { type: "string" },
  "min-vcpu": { type: "string" },
  "min-memory": { type: "string" },
  gpu: { type: "boolean" },
  "max-price": { type: "string" },
  provider: { type: "string" },
  first: { type: "string" },
  amount: { type: "string" },
  budget: { type: "string" },
  fund: { type: "boolean" },
  "metadata-cid": { type: "string" },
  price: { type: "string" },
  capacity: { type: "string" },
  "min-hours": { type: "string" },
  "max-hours": { type: "string" },
  uptime: { type: "string" },
  "max-latency": { type: "string" },
  add: { type: "string" },
  remove: { type: "string" },
  quorum: { type: "string" },
  title: { type: "string" },
  body: { type: "string" },
  percent: { type: "string" },
  feed: { type: "string" },
  heartbeat: { type: "string" },
  disable: { type: "boolean" },
  contract: { type: "string" },
  implementation: { type: "string" },
  data: { type: "string" },
  reason: { type: "string" },
  to: { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** A mistake in the command line: printed with a pointer to `dcx help`. */
class UsageError extends Error {}

const env = process.env;
const fail = (message: string): never => {
  throw new UsageError(message);
};

function integer(text: string | undefined, what: string, min = 0): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min)
    fail(`${what} is a whole number${min ? ` ≥ ${min}` : ""}.`);
  return Number(text);
}

const id = (text: string | undefined, what: string) => BigInt(integer(text, what));

function percentBps(text: string, what: string): number {
  const bps = parsePercentBps(text);
  if (bps === undefined || bps > 10_000) fail(`${what} is a percentage from 0 to 100, e.g. 1 or 99.5.`);
  return bps!;
}

/** Text output, or JSON when --json: bigints as decimal strings. */
function output(values: Values, human: string, data: unknown): void {
  if (values.json)
    console.log(JSON.stringify(data, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2));
  else console.log(human);
}

const progress = (values: Values) => (step: dcx.Progress) => {
  const text =
    step.stage === "simulating"
      ? `${step.call}: checking…`
      : step.stage === "sent"
        ? `${step.call}: sent ${step.hash}, waiting for it to be mined…`
        : `${step.call}: confirmed in block ${step.blockNumber}`;
  if (!values.json || env.DCX_PROGRESS !== "0") process.stderr.write(`${text}\n`);
};

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) fail("DCX_KEYSTORE_PASSWORD is not set and there is no terminal to ask for the password.");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Hide what is typed: the question is written once, the echo of each key is not.
  const write = (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput;
  process.stderr.write(question);
  (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  (rl as unknown as { _writeToOutput: typeof write })._writeToOutput = write;
  rl.close();
  process.stderr.write("\n");
  return answer;
}

async function signer(values: Values): Promise<Account | undefined> {
  const keystore = values.keystore ?? env.DCX_KEYSTORE;
  if (keystore) {
    let text: string;
    try {
      text = readFileSync(keystore, "utf8");
    } catch {
      return fail(`Cannot read the keystore file ${keystore}.`);
    }
    const password = env.DCX_KEYSTORE_PASSWORD ?? (await prompt(`Password of ${keystore}: `));
    return privateKeyToAccount(await decryptKeystore(text, password));
  }
  const key = env.DCX_PRIVATE_KEY;
  if (!key) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) fail("DCX_PRIVATE_KEY is not a private key (0x and 64 hex digits).");
  return privateKeyToAccount(key as Hex);
}

interface Context {
  values: Values;
  deployment: Deployment;
  client: dcx.DcxClient;
  subgraphUrl: string;
  ipfsGateway: string;
}

async function context(values: Values, needsKey: boolean): Promise<Context> {
  const deployment = loadDeployment(values.deployment ?? env.DCX_DEPLOYMENT ?? "deployments/localhost.json");
  const rpcUrl = values.rpc ?? env.DCX_RPC_URL ?? `http://127.0.0.1:${env.CHAIN_PORT || 8545}`;
  const account = await signer(values);
  if (needsKey && !account) fail("This command signs: set DCX_PRIVATE_KEY or give --keystore FILE.");
  const client = dcx.createDcxClient({ deployment, rpcUrl, account });
  await dcx.assertNetwork(client);
  return {
    values,
    deployment,
    client,
    subgraphUrl:
      values.subgraph ??
      env.DCX_SUBGRAPH_URL ??
      `http://127.0.0.1:${env.GRAPH_HTTP_PORT || 8000}/subgraphs/name/d-cloudx`,
    ipfsGateway: values.ipfs ?? env.DCX_IPFS_GATEWAY ?? `http://127.0.0.1:${env.IPFS_API_PORT || 5001}`,
  };
}

/** --to: where a claim or withdrawal pays (default: the account itself). */
function recipient(values: Values): Address | undefined {
  if (values.to === undefined) return undefined;
  if (!isAddress(values.to)) fail(`--to ${values.to} is not an address.`);
  return getAddress(values.to!);
}

const me = (ctx: Context): Address => ctx.client.walletClient!.account.address;

function tokenArg(ctx: Context, symbol = "ETH") {
  return dcx.paymentToken(ctx.deployment, symbol);
}

function amountArg(text: string | undefined, decimals: number, what: string): bigint {
  if (!text || !/^\d+(\.\d+)?$/.test(text)) fail(`${what} is an amount, e.g. 1.5.`);
  return parseUnits(text!, decimals);
}

/** After a write: waits until the subgraph has indexed it, so the next query shows it. */
async function indexed(ctx: Context, blockNumber: bigint): Promise<void> {
  let said = false;
  try {
    await waitForIndexing(ctx.subgraphUrl, blockNumber, {
      timeoutMs: 30_000,
      onProgress: (at) => {
        if (!said) process.stderr.write(`Waiting for the subgraph to index block ${blockNumber} (at ${at})…\n`);
        said = true;
      },
    });
  } catch (error) {
    process.stderr.write(`Not indexed yet: ${(error as Error).message}\n`);
  }
}

const RESOURCE_FIELDS = `id kind region status pricePerHourUsd capacity openBookings minHours maxHours uptimeTargetBps maxLatencyMs
  acceptedTokens { symbol } provider { id profile { displayName } scoreBps ratingsCount averageRating bookingsCompleted bookingsFailed }
  metadata { name cloud instanceType vcpu memoryGib gpuModel gpuCount storageSizeGib storageType capacityGib }`;

interface ResourceRow {
  id: string;
  kind: string;
  region: string;
  status: string;
  pricePerHourUsd: string;
  capacity: number;
  openBookings: number;
  minHours: number;
  maxHours: number;
  uptimeTargetBps: number;
  maxLatencyMs: string;
  acceptedTokens: { symbol: string | null }[];
  provider: {
    id: string;
    profile: { displayName: string | null } | null;
    scoreBps: number;
    ratingsCount: number;
    averageRating: string;
  };
  metadata: {
    name: string | null;
    cloud: string | null;
    instanceType: string | null;
    vcpu: number | null;
    memoryGib: string | null;
    gpuCount: number | null;
    gpuModel: string | null;
  } | null;
}

function resourceLine(r: ResourceRow): string {
  const m = r.metadata;
  const specs = m
    ? [
        m.name,
        m.cloud && `${m.cloud}/${m.instanceType}`,
        m.vcpu && `${m.vcpu} vCPU`,
        m.memoryGib && `${m.memoryGib} GiB`,
        m.gpuCount && `${m.gpuCount}× ${m.gpuModel}`,
      ]
        .filter(Boolean)
        .join(", ")
    : "(metadata not loaded)";
  const provider = r.provider.profile?.displayName ?? r.provider.id;
  return `#${r.id}  $${r.pricePerHourUsd}/h  ${r.kind}  ${r.region}  ${specs}  — ${provider}, score ${r.provider.scoreBps / 100} %  [${r.status}, ${r.openBookings}/${r.capacity} booked, ${r.acceptedTokens.map((t) => t.symbol).join("/")}]`;
}

async function resources(ctx: Context): Promise<void> {
  const v = ctx.values;
  if (v.kind && !(RESOURCE_KIND_NAMES as readonly string[]).includes(v.kind))
    fail(`--kind is one of ${RESOURCE_KIND_NAMES.join(", ")}.`);
  const filter: ResourceFilter = {
    kind: v.kind,
    region: v.region,
    cloud: v.cloud,
    minVcpu: v["min-vcpu"] ? integer(v["min-vcpu"], "--min-vcpu") : undefined,
    minMemoryGib: v["min-memory"] ? Number(v["min-memory"]) : undefined,
    gpu: v.gpu,
    maxPricePerHourUsd: v["max-price"],
    provider: v.provider,
  };
  const data = await querySubgraph<{ resources: ResourceRow[] }>(
    ctx.subgraphUrl,
    `query Resources($where: Resource_filter, $first: Int) {
      resources(where: $where, first: $first, orderBy: pricePerHourUsd, orderDirection: asc) { ${RESOURCE_FIELDS} }
    }`,
    { where: resourceWhere(filter), first: v.first ? integer(v.first, "--first", 1) : 100 },
  );
  output(
    v,
    data.resources.length ? data.resources.map(resourceLine).join("\n") : "No resources match.",
    data.resources,
  );
}

async function resource(ctx: Context, resourceId: bigint): Promise<void> {
  const onChain = await dcx.getResource(ctx.client, resourceId);
  if (onChain.provider === zeroAddress) fail(`Resource #${resourceId} does not exist.`);
  const data = await querySubgraph<{ resource: ResourceRow | null }>(
    ctx.subgraphUrl,
    `query Resource($id: Int8!) { resource(id: $id) { ${RESOURCE_FIELDS} } }`,
    { id: String(resourceId) },
  ).catch(() => ({ resource: null }));
  const lines = [
    data.resource ? resourceLine(data.resource) : `#${resourceId} (not indexed yet)`,
    `provider ${onChain.provider}, status ${RESOURCE_STATUS_NAMES[onChain.status]}, kind ${RESOURCE_KIND_NAMES[onChain.kind]}`,
    `price $${formatUnits(onChain.pricePerHourUsdE8, 8)}/h, ${onChain.minHours}–${onChain.maxHours} h, capacity ${onChain.capacity} (${onChain.activeBookings} open)`,
    `SLA: ${onChain.uptimeTargetBps / 100} % uptime${onChain.maxLatencyMs ? `, p95 latency ≤ ${onChain.maxLatencyMs} ms` : ""}`,
  ];
  output(ctx.values, lines.join("\n"), { onChain, indexed: data.resource });
}

async function bookings(ctx: Context): Promise<void> {
  const account = ctx.values.account ?? (ctx.client.walletClient ? me(ctx) : fail("Give --account ADDRESS or a key."));
  if (!isAddress(account)) fail(`${account} is not an address.`);
  const data = await querySubgraph<{
    bookings: {
      id: string;
      status: string;
      hoursBooked: number;
      amount: string;
      amountUsd: string;
      token: { symbol: string | null };
      resource: { id: string; region: string };
      startedAt: string | null;
      endsAt: string | null;
    }[];
  }>(
    ctx.subgraphUrl,
    `query MyBookings($consumer: Bytes!) {
      bookings(where: { consumer: $consumer }, orderBy: requestedAt, orderDirection: desc, first: 100) {
        id status hoursBooked amount amountUsd token { symbol } resource { id region } startedAt endsAt
      }
    }`,
    { consumer: account.toLowerCase() },
  );
  const lines = data.bookings.map(
    (b) =>
      `#${b.id}  ${b.status}  resource #${b.resource.id} (${b.resource.region})  ${b.hoursBooked} h  $${b.amountUsd} in ${b.token.symbol}${b.endsAt ? `  ends ${new Date(Number(b.endsAt) * 1000).toISOString()}` : ""}`,
  );
  output(ctx.values, lines.length ? lines.join("\n") : "No bookings.", data.bookings);
}

async function quoteCommand(ctx: Context, resourceId: bigint) {
  const hours = integer(ctx.values.hours, "--hours", 1);
  const q = await dcx.quote(ctx.client, { resourceId, hours, token: ctx.values.token ?? "ETH" });
  return { hours, ...q };
}

async function book(ctx: Context, resourceId: bigint): Promise<void> {
  const v = ctx.values;
  if (v.approve && v.permit) fail("Choose --approve or --permit, not both.");
  const q = await quoteCommand(ctx, resourceId);
  const maxPayment = v["max-payment"]
    ? amountArg(v["max-payment"], q.token.decimals, "--max-payment")
    : dcx.withSlippage(q.amount, percentBps(v.slippage ?? "1", "--slippage"));
  process.stderr.write(
    `Booking #${resourceId} for ${q.hours} h: $${formatUnits(q.usdE8, 8)} = ${formatUnits(q.amount, q.token.decimals)} ${q.token.symbol} (paying at most ${formatUnits(maxPayment, q.token.decimals)})\n`,
  );
  const keys = await dcx.deriveAccessKey(ctx.client);
  const params = {
    resourceId,
    hours: q.hours,
    token: q.token.symbol,
    maxPayment,
    minSla: q.sla,
    encryptionPublicKey: keys.publicKeyHex,
  };
  const onProgress = progress(v);
  const booked = v.permit
    ? await dcx.bookWithPermit(ctx.client, params, { onProgress })
    : await dcx.book(ctx.client, { ...params, approve: v.approve }, { onProgress });
  await indexed(ctx, booked.receipt.blockNumber);
  output(
    v,
    `Booked: booking #${booked.bookingId}, paid ${formatUnits(booked.amount, q.token.decimals)} ${q.token.symbol}. The provider's oracle provisions it; then \`dcx access ${booked.bookingId}\`.`,
    {
      bookingId: booked.bookingId,
      amount: booked.amount,
      token: q.token.symbol,
      transaction: booked.receipt.transactionHash,
    },
  );
}

async function extend(ctx: Context, bookingId: bigint): Promise<void> {
  const v = ctx.values;
  if (v.approve && v.permit) fail("Choose --approve or --permit, not both.");
  const hours = integer(v.hours, "--hours", 1);
  const q = await dcx.quoteExtension(ctx.client, { bookingId, hours });
  const maxPayment = v["max-payment"]
    ? amountArg(v["max-payment"], q.token.decimals, "--max-payment")
    : dcx.withSlippage(q.amount, percentBps(v.slippage ?? "1", "--slippage"));
  process.stderr.write(
    `Extending booking #${bookingId} by ${hours} h: $${formatUnits(q.usdE8, 8)} = ${formatUnits(q.amount, q.token.decimals)} ${q.token.symbol} (paying at most ${formatUnits(maxPayment, q.token.decimals)})\n`,
  );
  const params = { bookingId, hours, token: q.token.symbol, maxPayment, minSla: q.sla };
  const onProgress = progress(v);
  const done = v.permit
    ? await dcx.extendBookingWithPermit(ctx.client, params, { onProgress })
    : await dcx.extendBooking(ctx.client, { ...params, approve: v.approve }, { onProgress });
  await indexed(ctx, done.receipt.blockNumber);
  const ends = done.endsAt ? `; it now ends ${new Date(done.endsAt * 1000).toISOString()}` : "";
  output(
    v,
    `Extended booking #${bookingId} by ${hours} h for ${formatUnits(done.amount, q.token.decimals)} ${q.token.symbol}${ends}.`,
    {
      bookingId,
      hours,
      amount: done.amount,
      token: q.token.symbol,
      endsAt: done.endsAt,
      transaction: done.receipt.transactionHash,
    },
  );
}

const date = (seconds: number) => new Date(seconds * 1000).toISOString();

async function runwayCommand(ctx: Context, bookingId: bigint): Promise<void> {
  const r = await dcx.runway(ctx.client, bookingId);
  const amount = (value: bigint) => `${formatUnits(value, r.token.decimals)} ${r.token.symbol}`;
  const lines = [
    {
      requested: `Booking #${bookingId} is not provisioned yet.`,
      running: `Booking #${bookingId} is funded until ${date(r.fundedUntil ?? 0)} (${Math.floor(r.secondsLeft / 60)} min left); its grace runs to ${date(r.graceEndsAt ?? 0)}.`,
      grace: `Booking #${bookingId} is suspended in its grace: extend or renew before ${date(r.graceEndsAt ?? 0)} to resume it.`,
      lapsed: `Booking #${bookingId} ran out at ${date(r.fundedUntil ?? 0)} and its grace is over: it will be deprovisioned.`,
      closed: `Booking #${bookingId} is closed.`,
    }[r.state],
    r.policy
      ? `Auto-renew: ${r.policy.hoursPerRenewal} h at most $${formatUnits(r.policy.maxPricePerHourUsdE8, 8)}/h, budget left ${amount(r.policy.budget)}.`
      : "No auto-renew policy.",
  ];
  const next = r.nextRenewal;
  if (next) {
    lines.push(
      `Next renewal: ${amount(next.amount)} + tip ${amount(next.tip)} at $${formatUnits(next.pricePerHourUsdE8, 8)}/h; funds ${amount(next.balance)}${next.allowance === undefined ? " (renewal balance)" : `, allowance ${amount(next.allowance)}`}.`,
      next.blockedBy ? `It would not renew: ${next.message}` : next.message,
    );
  }
  output(ctx.values, lines.join("\n"), r);
}

async function autoRenew(ctx: Context, [sub, booking]: string[]): Promise<void> {
  const v = ctx.values;
  const bookingId = id(booking, "The booking id");
  const onProgress = progress(v);
  if (sub === "cancel") {
    return simple(ctx, `Auto-renew of booking #${bookingId} cancelled.`, (o) =>
      dcx.cancelRenewalPolicy(ctx.client, { bookingId }, o),
    );
  }
  if (sub !== "set") fail("auto-renew: set or cancel.");
  const hoursPerRenewal = integer(v.hours, "--hours", 1);
  const maxPricePerHourUsdE8 = amountArg(v["max-price"], 8, "--max-price");
  const onChain = await dcx.getBooking(ctx.client, bookingId);
  if (onChain.consumer === zeroAddress) fail(`Booking #${bookingId} does not exist.`);
  const token = dcx.paymentTokenById(ctx.deployment, onChain.tokenId);
  const budget = amountArg(v.budget, token.decimals, "--budget");
  const receipt = await dcx.setRenewalPolicy(
    ctx.client,
    { bookingId, hoursPerRenewal, maxPricePerHourUsdE8, budget, fund: v.fund },
    { onProgress },
  );
  await indexed(ctx, receipt.blockNumber);
  const r = await dcx.runway(ctx.client, bookingId);
  output(
    v,
    `Auto-renew of booking #${bookingId}: ${hoursPerRenewal} h at a time, at most $${v["max-price"]}/h, up to ${formatUnits(budget, token.decimals)} ${token.symbol}.${r.nextRenewal?.blockedBy ? `\nIt would not renew yet: ${r.nextRenewal.message}` : ""}`,
    {
      bookingId,
      hoursPerRenewal,
      maxPricePerHourUsdE8,
      budget,
      token: token.symbol,
      runway: r,
      transaction: receipt.transactionHash,
    },
  );
}

async function renewCommand(ctx: Context, bookingId: bigint): Promise<void> {
  const result = await dcx.renew(ctx.client, { bookingId }, { onProgress: progress(ctx.values) });
  await indexed(ctx, result.receipt.blockNumber);
  const { receipt, ...rest } = result;
  const data = { bookingId, ...rest, transaction: receipt.transactionHash };
  if (!result.renewed) return output(ctx.values, `Booking #${bookingId} was not renewed: ${result.message}`, data);
  output(
    ctx.values,
    `Renewed booking #${bookingId} by ${result.hours} h${result.resumed ? ", resuming it from its grace" : ""}; it now ends ${date(result.endsAt)}.`,
    data,
  );
}

async function renewalBalanceCommand(ctx: Context, action = "show"): Promise<void> {
  const amount = () => amountArg(ctx.values.amount, 18, "--amount");
  const onProgress = progress(ctx.values);
  if (action === "deposit") await dcx.depositRenewalBalance(ctx.client, { amount: amount() }, { onProgress });
  else if (action === "withdraw") await dcx.withdrawRenewalBalance(ctx.client, { amount: amount() }, { onProgress });
  else if (action !== "show") fail("renewal-balance: show, deposit or withdraw.");
  const account = ctx.values.account ?? (ctx.client.walletClient ? me(ctx) : fail("Give --account ADDRESS or a key."));
  if (!isAddress(account)) fail(`${account} is not an address.`);
  const owner = getAddress(account);
  const balance = await dcx.renewalBalance(ctx.client, owner);
  output(ctx.values, `Renewal balance: ${formatUnits(balance, 18)} ETH`, { account: owner, balance });
}

async function access(ctx: Context, bookingId: bigint): Promise<void> {
  const keys = await dcx.deriveAccessKey(ctx.client);
  const details = await dcx.fetchAccessDetails(ctx.client, { bookingId, keys, ipfsGateway: ctx.ipfsGateway });
  const lines = [
    `${details.protocol}://${details.host}:${details.port}`,
    ...Object.entries(details)
      .filter(([key]) => !["protocol", "host", "port"].includes(key))
      .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`),
  ];
  output(ctx.values, lines.join("\n"), details);
}

/** A write whose result is only its receipt. */
async function simple(
  ctx: Context,
  done: string,
  run: (options: dcx.WriteOptions) => Promise<{ blockNumber: bigint; transactionHash: Hex }>,
) {
  const receipt = await run({ onProgress: progress(ctx.values) });
  await indexed(ctx, receipt.blockNumber);
  output(ctx.values, done, { done, transaction: receipt.transactionHash, blockNumber: receipt.blockNumber });
}

async function listCommand(ctx: Context): Promise<void> {
  const v = ctx.values;
  const kindName = v.kind ?? "VIRTUAL_MACHINE";
  const kind = RESOURCE_KIND_NAMES.indexOf(kindName as (typeof RESOURCE_KIND_NAMES)[number]);
  if (kind < 0) fail(`--kind is one of ${RESOURCE_KIND_NAMES.join(", ")}.`);
  if (!v["metadata-cid"] || !v.region || !v.price) fail("list needs --metadata-cid, --region and --price.");
  const { resourceId, receipt } = await dcx.listResource(
    ctx.client,
    {
      metadataCid: v["metadata-cid"]!,
      region: v.region!,
      kind: kind as ResourceKind,
      terms: {
        pricePerHourUsdE8: amountArg(v.price, 8, "--price"),
        capacity: integer(v.capacity ?? "1", "--capacity", 1),
        minHours: integer(v["min-hours"] ?? "1", "--min-hours", 1),
        maxHours: integer(v["max-hours"] ?? "720", "--max-hours", 1),
        uptimeTargetBps: percentBps(v.uptime ?? "99", "--uptime"),
        maxLatencyMs: integer(v["max-latency"] ?? "0", "--max-latency"),
        acceptedTokens: (v.tokens ?? "ETH")
          .split(",")
          .map((symbol) => getAddress(tokenArg(ctx, symbol.trim()).address)),
      },
    },
    { onProgress: progress(v) },
  );
  await indexed(ctx, receipt.blockNumber);
  output(v, `Listed resource #${resourceId}.`, { resourceId, transaction: receipt.transactionHash });
}

async function bond(ctx: Context, action = "show"): Promise<void> {
  const token = tokenArg(ctx, ctx.values.token);
  const address = getAddress(token.address);
  const amount = () => amountArg(ctx.values.amount, token.decimals, "--amount");
  const onProgress = progress(ctx.values);
  if (action === "deposit") await dcx.depositBond(ctx.client, { token: address, amount: amount() }, { onProgress });
  else if (action === "unbond")
    await dcx.requestBondWithdrawal(ctx.client, { token: address, amount: amount() }, { onProgress });
  else if (action === "withdraw") await dcx.withdrawBond(ctx.client, { token: address }, { onProgress });
  else if (action !== "show") fail("bond: show, deposit, unbond or withdraw.");
  const held = await dcx.bondOf(ctx.client, ctx.values.provider ? getAddress(ctx.values.provider) : me(ctx), address);
  const f = (value: bigint) => `${formatUnits(value, token.decimals)} ${token.symbol}`;
  output(
    ctx.values,
    `Bond: ${f(held.amount)}; unbonding ${f(held.unbonding)}${held.unbonding ? ` (available ${new Date(held.unbondingAvailableAt * 1000).toISOString()})` : ""}`,
    held,
  );
}

async function propose(ctx: Context, template: string | undefined): Promise<void> {
  const v = ctx.values;
  const contracts = knownContracts(ctx.deployment);
  let actions: Action[];
  let title: string;
  const built = (result: { actions?: Action[]; error?: string }) => result.actions ?? fail(result.error!);
  switch (template) {
    case "oracle-signers": {
      actions = await dcx.oracleSetActions(ctx.client, {
        add: v.add,
        remove: v.remove,
        quorum: v.quorum,
      });
      title = `Oracle set: ${[v.add && `add ${v.add}`, v.remove && `remove ${v.remove}`, v.quorum && `quorum ${v.quorum}`].filter(Boolean).join(", ")}`;
      break;
    }
    case "fee": {
      const [settings, maxFee] = await Promise.all([
        ctx.client.publicClient.readContract({
          address: dcx.contractAddress(ctx.deployment, "EscrowManager"),
          abi: dcx.CONTRACT_ABIS.EscrowManager,
          functionName: "settings",
        }),
        ctx.client.publicClient.readContract({
          address: dcx.contractAddress(ctx.deployment, "EscrowManager"),
          abi: dcx.CONTRACT_ABIS.EscrowManager,
          functionName: "MAX_PROTOCOL_FEE_BPS",
        }),
      ]);
      actions = built(buildFeeChange(contracts, settings, maxFee, v.percent ?? fail("fee needs --percent.")));
      title = `Protocol fee: ${v.percent} %`;
      break;
    }
    case "payment-token": {
      const token = v.token ?? fail("payment-token needs --token ADDRESS.");
      actions = built(
        buildPaymentTokenChange(
          contracts,
          v.disable
            ? { mode: "disable", token }
            : { mode: "set", token, feed: v.feed ?? "", heartbeatSeconds: v.heartbeat ?? "" },
        ),
      );
      title = `Payment token ${token}: ${v.disable ? "disable" : "set feed"}`;
      break;
    }
    case "upgrade": {
      const name = v.contract as keyof Deployment["contracts"];
      if (!name || !(name in ctx.deployment.contracts))
        fail(`--contract is one of ${Object.keys(ctx.deployment.contracts).join(", ")}.`);
      actions = built(
        buildUpgrade(contracts, { contractName: name, implementation: v.implementation ?? "", data: v.data ?? "" }),
      );
      title = `Upgrade ${name} to ${v.implementation}`;
      break;
    }
    default:
      return fail("propose: oracle-signers, fee, payment-token or upgrade.");
  }
  const description = composeDescription(v.title ?? title, v.body ?? "");
  const { proposalId, receipt } = await dcx.propose(ctx.client, { actions, description }, { onProgress: progress(v) });
  await indexed(ctx, receipt.blockNumber);
  output(
    v,
    `Proposal ${proposalId}: ${actions.length} call(s). Next: dcx gov vote ${proposalId}, then queue and execute.`,
    {
      proposalId,
      actions,
      transaction: receipt.transactionHash,
    },
  );
}

async function gov(ctx: Context, [sub, arg, support]: string[]): Promise<void> {
  const v = ctx.values;
  const onProgress = progress(v);
  const state = async (proposalId: bigint) => dcx.proposalState(ctx.client, proposalId);
  switch (sub) {
    case "delegate":
      return simple(ctx, `Votes delegated to ${arg ?? "yourself"}.`, (o) =>
        dcx.delegateVotes(ctx.client, { delegatee: arg ? getAddress(arg) : undefined }, o),
      );
    case "propose":
      return propose(ctx, arg);
    case "vote": {
      const proposalId = id(arg, "The proposal id");
      const choice = support ?? "for";
      if (!(choice in dcx.VOTE_SUPPORT)) fail("vote: for, against or abstain.");
      await dcx.castVote(
        ctx.client,
        { proposalId, support: choice as keyof typeof dcx.VOTE_SUPPORT, reason: v.reason },
        { onProgress },
      );
      return output(v, `Voted ${choice}; the proposal is ${await state(proposalId)}.`, {
        proposalId,
        support: choice,
        state: await state(proposalId),
      });
    }
    case "queue":
    case "execute": {
      const proposalId = id(arg, "The proposal id");
      await (sub === "queue" ? dcx.queueProposal : dcx.executeProposal)(ctx.client, { proposalId }, { onProgress });
      return output(v, `Proposal ${proposalId} is ${await state(proposalId)}.`, {
        proposalId,
        state: await state(proposalId),
      });
    }
    case "state": {
      const proposalId = id(arg, "The proposal id");
      const current = await state(proposalId);
      return output(v, `Proposal ${proposalId} is ${current}.`, { proposalId, state: current });
    }
    case "oracle-set": {
      const sets = await dcx.oracleSet(ctx.client);
      return output(
        v,
        sets
          .map((s) => `${s.contractName}: quorum ${s.quorum} of ${s.signers.length}: ${s.signers.join(", ")}`)
          .join("\n"),
        sets,
      );
    }
    default:
      return fail("gov: delegate, propose, vote, queue, execute, state or oracle-set.");
  }
}

/** Every role of every access-controlled contract of the deployment (and its timelock) that `holders` hold. */
async function roles(ctx: Context, holders: string[]): Promise<void> {
  const addresses = holders.length ? holders : [ctx.deployment.governance.timelock];
  for (const holder of addresses) if (!isAddress(holder)) fail(`${holder} is not an address.`);
  const contracts: { name: string; address: Address; abi: Abi }[] = [
    ...(Object.keys(ctx.deployment.contracts) as (keyof Deployment["contracts"])[]).map((name) => ({
      name,
      address: dcx.contractAddress(ctx.deployment, name),
      abi: dcx.CONTRACT_ABIS[name] as Abi,
    })),
    { name: "TimelockController", address: getAddress(ctx.deployment.governance.timelock), abi: timelockControllerAbi },
  ];
  const held: Record<string, Record<string, string[]>> = {};
  for (const holder of addresses.map((a) => getAddress(a))) {
    held[holder] = {};
    for (const contract of contracts) {
      const names = contract.abi
        .filter(
          (item): item is AbiFunction =>
            item.type === "function" && item.name.endsWith("_ROLE") && item.inputs.length === 0,
        )
        .map((item) => item.name);
      if (!names.length) continue;
      const read = (functionName: string, args: readonly unknown[] = []) =>
        ctx.client.publicClient.readContract({ address: contract.address, abi: contract.abi, functionName, args });
      const hashes = await Promise.all(names.map((name) => read(name) as Promise<Hex>));
      const has = await Promise.all(hashes.map((hash) => read("hasRole", [hash, holder]) as Promise<boolean>));
      held[holder][contract.name] = names.filter((_, i) => has[i]);
    }
  }
  const lines = Object.entries(held).flatMap(([holder, byContract]) => [
    `${holder}${holder === getAddress(ctx.deployment.governance.timelock) ? " (the timelock)" : ""}:`,
    ...Object.entries(byContract).map(([name, list]) => `  ${name.padEnd(20)} ${list.join(", ") || "—"}`),
  ]);
  output(ctx.values, lines.join("\n"), held);
}

/** The guardian's emergency stop: new listings and bookings stop; everything else goes on. */
async function guardian(ctx: Context, action = "status"): Promise<void> {
  const marketplace = {
    address: dcx.contractAddress(ctx.deployment, "ResourceMarketplace"),
    abi: dcx.CONTRACT_ABIS.ResourceMarketplace,
  };
  if (action === "pause" || action === "unpause") {
    await dcx.write(
      ctx.client,
      { contract: "ResourceMarketplace", functionName: action },
      { onProgress: progress(ctx.values) },
    );
  } else if (action !== "status") fail("guardian: status, pause or unpause.");
  const paused = await ctx.client.publicClient.readContract({ ...marketplace, functionName: "paused" });
  output(ctx.values, paused ? "The marketplace is paused: no new listings or bookings." : "The marketplace is open.", {
    paused,
  });
}

/** Commands that only read, and may run without a key. */
const READ_ONLY = new Set([
  "resources",
  "resource",
  "bookings",
  "quote",
  "runway",
  "roles",
  "guardian status",
  "guardian",
  "renewal-balance",
  "renewal-balance show",
  "gov state",
  "gov oracle-set",
]);

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...rest] = positionals;
  if (!command || command === "help" || values.help) return void console.log(HELP);
  if (command === "keystore") {
    if (rest[0] !== "new" || !rest[1]) fail("keystore new <file>");
    const key = (env.DCX_PRIVATE_KEY as Hex | undefined) ?? generatePrivateKey();
    const password = env.DCX_KEYSTORE_PASSWORD ?? (await prompt("Password for the new keystore: "));
    if (password.length < 8) fail("Choose a password of at least 8 characters.");
    const document = await encryptKeystore(key, password, {
      n: env.DCX_SCRYPT_N ? Number(env.DCX_SCRYPT_N) : undefined,
    });
    writeFileSync(rest[1]!, JSON.stringify(document, null, 2) + "\n", { mode: 0o600 });
    return output(values, `Wrote ${rest[1]} for 0x${document.address}.`, {
      file: rest[1],
      address: `0x${document.address}`,
    });
  }
  const key =
    command === "gov" || ((command === "guardian" || command === "renewal-balance") && rest[0])
      ? `${command} ${rest[0]}`
      : command;
  const ctx = await context(values, !READ_ONLY.has(key));
  const bookingId = () => id(rest[0], "The booking id");
  const resourceId = () => id(rest[0], "The resource id");
  switch (command) {
    case "address":
      return output(values, me(ctx), { address: me(ctx) });
    case "resources":
      return resources(ctx);
    case "resource":
      return resource(ctx, resourceId());
    case "bookings":
      return bookings(ctx);
    case "quote": {
      const q = await quoteCommand(ctx, resourceId());
      return output(
        values,
        `${q.hours} h of #${rest[0]}: $${formatUnits(q.usdE8, 8)} = ${formatUnits(q.amount, q.token.decimals)} ${q.token.symbol}`,
        q,
      );
    }
    case "book":
      return book(ctx, resourceId());
    case "extend":
      return extend(ctx, bookingId());
    case "access":
      return access(ctx, bookingId());
    case "runway":
      return runwayCommand(ctx, bookingId());
    case "auto-renew":
      return autoRenew(ctx, rest);
    case "renew":
      return renewCommand(ctx, bookingId());
    case "renewal-balance":
      return renewalBalanceCommand(ctx, rest[0]);
    case "cancel":
      return simple(ctx, `Booking #${rest[0]} cancelled; the payment is refunded.`, (o) =>
        dcx.cancelBooking(ctx.client, { bookingId: bookingId() }, o),
      );
    case "terminate":
      return simple(ctx, `Booking #${rest[0]} terminated; the unused time is refunded.`, (o) =>
        dcx.terminateBooking(ctx.client, { bookingId: bookingId() }, o),
      );
    case "complete":
      return simple(ctx, `Booking #${rest[0]} completed.`, (o) =>
        dcx.completeBooking(ctx.client, { bookingId: bookingId() }, o),
      );
    case "rate":
      return simple(ctx, `Rated booking #${rest[0]} ${rest[1]}/5.`, (o) =>
        dcx.rateBooking(ctx.client, { bookingId: bookingId(), score: integer(rest[1], "The score", 1) }, o),
      );
    case "claim": {
      const token = tokenArg(ctx, values.token);
      return simple(ctx, `Claimed what the escrow owed in ${token.symbol}.`, (o) =>
        dcx.claim(ctx.client, { token: getAddress(token.address), recipient: recipient(values) }, o),
      );
    }
    case "register":
      return simple(ctx, "Registered as a provider.", (o) =>
        dcx.registerProvider(ctx.client, { profileCid: rest[0] ?? fail("register <profile CID>") }, o),
      );
    case "list":
      return listCommand(ctx);
    case "pause":
    case "unpause":
      return simple(
        ctx,
        `Resource #${rest[0]} ${command === "pause" ? "takes no new bookings" : "takes bookings again"}.`,
        (o) => dcx.setResourcePaused(ctx.client, { resourceId: resourceId(), paused: command === "pause" }, o),
      );
    case "withdraw":
      return simple(ctx, `Withdrew the earnings of booking(s) ${rest.join(", ")}.`, (o) =>
        dcx.withdrawEarnings(
          ctx.client,
          { bookingIds: rest.map((text) => id(text, "A booking id")), recipient: recipient(values) },
          o,
        ),
      );
    case "bond":
      return bond(ctx, rest[0]);
    case "rewards":
      return simple(ctx, "Claimed the DCX rewards.", (o) => dcx.claimRewards(ctx.client, o));
    case "gov":
      return gov(ctx, rest);
    case "roles":
      return roles(ctx, rest);
    case "guardian":
      return guardian(ctx, rest[0]);
    default:
      fail(`Unknown command "${command}".`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  const message = (error as Error).message;
  if (process.argv.includes("--json"))
    console.log(JSON.stringify({ error: message, name: (error as dcx.DcxError).errorName }));
  process.stderr.write(`dcx: ${message}${usage ? "\nSee dcx help." : ""}\n`);
  process.exit(usage ? 2 : 1);
});
