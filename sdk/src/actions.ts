/**
 * Typed viem actions for every D-CloudX user flow, on one deployment: providers list and manage
 * resources and bonds, consumers quote, book (in ETH, after an approval, or with an EIP-2612
 * permit), extend, set renewal policies, read a booking's runway, cancel, terminate, complete and
 * rate, anyone renews, everyone withdraws and claims, DCX holders delegate,
 * propose, vote, queue and execute. Every write is simulated first, so a revert is explained in
 * words (`DcxError`, from `decodeError`) before anything is signed, then sent and awaited.
 */
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  formatUnits,
  getAddress,
  http,
  parseEventLogs,
  zeroAddress,
} from "viem";

import {
  type AccessDetails,
  type AccessKeyPair,
  accessKeyMessage,
  decryptAccessDetails,
  deterministicSignature,
  deriveAccessKeyPair,
} from "./access.ts";
import type { ContractName, Deployment, PaymentTokenDeployment } from "./deployments.ts";
import { type DecodedError, decodeError } from "./errors.ts";
import {
  RENEWAL_SKIP_MESSAGES,
  type RenewalFunds,
  type RenewalSkipReasonName,
  type RunwayState,
  renewalBlockedBy,
  renewalTip,
  renewalWindowSeconds,
  runwayState,
} from "./runway.ts";
import { bookingRenewalsAbi, dAOGovernanceAbi, escrowManagerAbi, resourceMarketplaceAbi } from "./generated/abis.ts";
import {
  BookingStatus,
  RENEWAL_SKIP_REASON_NAMES,
  type RenewalPolicy,
  type ResourceParams,
  type ResourceTerms,
  type SlaTerms,
  type Stream,
} from "./generated/protocol.ts";
import {
  type Action,
  CONTRACT_ABIS,
  SIGNER_SETS,
  buildSignerChange,
  descriptionHash,
  knownContracts,
} from "./governance.ts";
import { PROPOSAL_STATES, type ProposalStateName } from "./proposals.ts";
import { signPermit } from "./signing.ts";

export { CONTRACT_ABIS };

/** A D-CloudX deployment and the clients that read from and write to its chain. */
export interface DcxClient {
  deployment: Deployment;
  publicClient: PublicClient;
  /** Needed for writes; its account signs. */
  walletClient?: WalletClient<Transport, Chain, Account>;
}

/** A failed D-CloudX call, explained: `message` is a sentence, `errorName`/`args` the custom error if any. */
export class DcxError extends Error {
  readonly errorName?: string;
  readonly args?: readonly unknown[];
  readonly cancelled: boolean;
  constructor(decoded: DecodedError, options?: { cause?: unknown }) {
    super(decoded.message, options);
    this.name = "DcxError";
    this.errorName = decoded.name;
    this.args = decoded.args;
    this.cancelled = decoded.cancelled;
  }
}

/** What a write is doing, for progress output. */
export interface Progress {
  stage: "simulating" | "sent" | "confirmed";
  /** Contract and function, e.g. `ResourceMarketplace.book`. */
  call: string;
  hash?: Hex;
  blockNumber?: bigint;
}

export interface WriteOptions {
  onProgress?: (progress: Progress) => void;
}

/** The deployment's chain as viem describes one. */
export function deploymentChain(deployment: Deployment, rpcUrl: string): Chain {
  return defineChain({
    id: deployment.chainId,
    name: deployment.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Clients over HTTP JSON-RPC for `deployment`; with `account`, writes are signed by it. */
export function createDcxClient(options: { deployment: Deployment; rpcUrl: string; account?: Account }): DcxClient {
  const chain = deploymentChain(options.deployment, options.rpcUrl);
  const transport = http(options.rpcUrl);
  return {
    deployment: options.deployment,
    publicClient: createPublicClient({ chain, transport }) as PublicClient,
    walletClient: options.account ? createWalletClient({ chain, transport, account: options.account }) : undefined,
  };
}

export function contractAddress(deployment: Deployment, name: ContractName): Address {
  return getAddress(deployment.contracts[name].proxy);
}

/** Throws in words unless the client's chain is the deployment's. */
export async function assertNetwork(client: DcxClient): Promise<void> {
  let chainId: number;
  try {
    chainId = await client.publicClient.getChainId();
  } catch (error) {
    throw new DcxError(decodeError(error), { cause: error });
  }
  if (chainId !== client.deployment.chainId) {
    throw new DcxError({
      cancelled: false,
      name: "WrongNetwork",
      message: `Wrong network: the RPC endpoint is chain ${chainId}, but the deployment "${client.deployment.network}" is on chain ${client.deployment.chainId}.`,
    });
  }
}

function account(client: DcxClient): Account {
  const found = client.walletClient?.account;
  if (!found) throw new DcxError({ cancelled: false, message: "This needs an account that signs: give a key." });
  return found;
}

type Mutability = "nonpayable" | "payable";
type AbiOf<N extends ContractName> = (typeof CONTRACT_ABIS)[N];

/** A call of a deployment contract, its function and arguments typed by the generated ABI. */
export type Call<N extends ContractName, F extends ContractFunctionName<AbiOf<N>, Mutability>> = {
  contract: N;
  functionName: F;
  value?: bigint;
} & (ContractFunctionArgs<AbiOf<N>, Mutability, F> extends readonly []
  ? { args?: readonly [] }
  : { args: ContractFunctionArgs<AbiOf<N>, Mutability, F> });

/** A call of any other contract (a payment token). */
interface ForeignCall {
  contract: { name: string; address: Address; abi: Abi };
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
}

/** Simulates (a revert is thrown as a `DcxError` in words), sends, and waits for the receipt. */
export async function write<N extends ContractName, F extends ContractFunctionName<AbiOf<N>, Mutability>>(
  client: DcxClient,
  call: Call<N, F> | ForeignCall,
  options: WriteOptions = {},
): Promise<TransactionReceipt> {
  const from = account(client);
  const target =
    typeof call.contract === "string"
      ? {
          name: call.contract,
          address: contractAddress(client.deployment, call.contract),
          abi: CONTRACT_ABIS[call.contract] as Abi,
        }
      : call.contract;
  const name = `${target.name}.${call.functionName}`;
  await assertNetwork(client);
  let hash: Hex;
  try {
    options.onProgress?.({ stage: "simulating", call: name });
    const { request } = await client.publicClient.simulateContract({
      account: from,
      address: target.address,
      abi: target.abi,
      functionName: call.functionName,
      args: call.args ?? [],
      value: call.value,
    } as never);
    hash = await client.walletClient!.writeContract(request as never);
  } catch (error) {
    throw new DcxError(decodeError(error), { cause: error });
  }
  options.onProgress?.({ stage: "sent", call: name, hash });
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new DcxError({ cancelled: false, message: `${name} reverted on chain (transaction ${hash}).` });
  }
  options.onProgress?.({ stage: "confirmed", call: name, hash, blockNumber: receipt.blockNumber });
  return receipt;
}

function read<T>(
  client: DcxClient,
  contract: ContractName,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<T> {
  return client.publicClient.readContract({
    address: contractAddress(client.deployment, contract),
    abi: CONTRACT_ABIS[contract],
    functionName,
    args,
  } as never) as Promise<T>;
}

// ------------------------------------------------------------------------------------------------
// Payment tokens
// ------------------------------------------------------------------------------------------------

/** A payment token of the deployment by symbol (`ETH`, `USDC`, case-insensitive) or address. */
export function paymentToken(deployment: Deployment, symbolOrAddress: string): PaymentTokenDeployment {
  const wanted = symbolOrAddress.toLowerCase();
  const found = deployment.paymentTokens.find(
    (token) => token.symbol.toLowerCase() === wanted || token.address.toLowerCase() === wanted,
  );
  if (!found) {
    const known = deployment.paymentTokens.map((token) => token.symbol).join(", ");
    throw new DcxError({ cancelled: false, message: `"${symbolOrAddress}" is not a payment token here (${known}).` });
  }
  return found;
}

/** The payment token with id `tokenId` (a booking's `tokenId`). */
export function paymentTokenById(deployment: Deployment, tokenId: number): PaymentTokenDeployment {
  const found = deployment.paymentTokens.find((token) => token.tokenId === tokenId);
  if (!found) throw new DcxError({ cancelled: false, message: `No payment token has id ${tokenId} here.` });
  return found;
}

const isNative = (token: Address | string) => getAddress(token) === zeroAddress;

/** The account's balance of a payment token (ETH for the zero address), in the token's smallest unit. */
export async function tokenBalance(client: DcxClient, token: Address, owner: Address): Promise<bigint> {
  if (isNative(token)) return client.publicClient.getBalance({ address: owner });
  return client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
}

/** What the EscrowManager (the approve target of every ERC-20 payment and bond) may take from `owner`. */
export function escrowAllowance(client: DcxClient, token: Address, owner: Address): Promise<bigint> {
  return contractAllowance(client, token, owner, "EscrowManager");
}

/** Approves the EscrowManager to take `amount` of an ERC-20 from the signing account. */
export function approveEscrow(client: DcxClient, params: { token: Address; amount: bigint }, options?: WriteOptions) {
  return approveContract(client, params.token, "EscrowManager", params.amount, options);
}

/** What the `spender` contract may take of `token` from `owner` (no limit for ETH, which is sent with calls). */
async function contractAllowance(
  client: DcxClient,
  token: Address,
  owner: Address,
  spender: ContractName,
): Promise<bigint> {
  if (isNative(token)) return 2n ** 256n - 1n;
  return client.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [owner, contractAddress(client.deployment, spender)],
  });
}

/** Approves the `spender` contract to take `amount` of an ERC-20 from the signing account. */
function approveContract(
  client: DcxClient,
  token: Address,
  spender: ContractName,
  amount: bigint,
  options?: WriteOptions,
) {
  return write(
    client,
    {
      contract: { name: "ERC20", address: getAddress(token), abi: erc20Abi },
      functionName: "approve",
      args: [contractAddress(client.deployment, spender), amount],
    },
    options,
  );
}

// ------------------------------------------------------------------------------------------------
// Reads
// ------------------------------------------------------------------------------------------------

export type Resource = Awaited<ReturnType<typeof getResource>>;
export type Booking = Awaited<ReturnType<typeof getBooking>>;

export function getResource(client: DcxClient, resourceId: bigint) {
  return client.publicClient.readContract({
    address: contractAddress(client.deployment, "ResourceMarketplace"),
    abi: resourceMarketplaceAbi,
    functionName: "getResource",
    args: [resourceId],
  });
}

export function getBooking(client: DcxClient, bookingId: bigint) {
  return client.publicClient.readContract({
    address: contractAddress(client.deployment, "ResourceMarketplace"),
    abi: resourceMarketplaceAbi,
    functionName: "getBooking",
    args: [bookingId],
  });
}

export interface Quote {
  /** The price in USD, 8 decimals: the resource's hourly price times the hours. */
  usdE8: bigint;
  /** The price in the token's smallest unit at the oracle's price now. */
  amount: bigint;
  token: PaymentTokenDeployment;
  /** The resource's SLA now: the `minSla` to book with. */
  sla: SlaTerms;
}

/** What `hours` of a resource cost in `token` now (PriceOracle.quote of the USD price). */
export async function quote(
  client: DcxClient,
  params: { resourceId: bigint; hours: number; token: string },
): Promise<Quote> {
  const token = paymentToken(client.deployment, params.token);
  const resource = await getResource(client, params.resourceId);
  if (resource.provider === zeroAddress) {
    throw new DcxError({
      cancelled: false,
      name: "MarketplaceUnknownResource",
      message: `Resource #${params.resourceId} does not exist.`,
    });
  }
  const usdE8 = resource.pricePerHourUsdE8 * BigInt(params.hours);
  try {
    const [amount] = await read<readonly [bigint, number]>(client, "PriceOracle", "quote", [token.address, usdE8]);
    return {
      usdE8,
      amount,
      token,
      sla: { uptimeTargetBps: resource.uptimeTargetBps, maxLatencyMs: resource.maxLatencyMs },
    };
  } catch (error) {
    throw new DcxError(decodeError(error), { cause: error });
  }
}

/** `amount` plus a slippage allowance in basis points, rounded up: the `maxPayment` of `book`. */
export function withSlippage(amount: bigint, slippageBps: number): bigint {
  if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 10_000) {
    throw new DcxError({ cancelled: false, message: "Slippage is between 0 and 100 %." });
  }
  return (amount * BigInt(10_000 + slippageBps) + 9_999n) / 10_000n;
}

export function bondOf(client: DcxClient, provider: Address, token: Address) {
  return client.publicClient.readContract({
    address: contractAddress(client.deployment, "EscrowManager"),
    abi: escrowManagerAbi,
    functionName: "bondOf",
    args: [provider, token],
  });
}

/** What `account` can claim in `token` (refunds and credits as a consumer, earnings paid out). */
export function owed(client: DcxClient, account: Address, token: Address): Promise<bigint> {
  return read(client, "EscrowManager", "owed", [account, token]);
}

/** What a booking's provider can withdraw now, before fees. */
export function withdrawable(client: DcxClient, bookingId: bigint): Promise<bigint> {
  return read(client, "EscrowManager", "withdrawable", [bookingId]);
}

// ------------------------------------------------------------------------------------------------
// Providers
// ------------------------------------------------------------------------------------------------

export function registerProvider(client: DcxClient, params: { profileCid: string }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "registerProvider", args: [params.profileCid] },
    options,
  );
}

export function updateProviderProfile(client: DcxClient, params: { profileCid: string }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "updateProviderProfile", args: [params.profileCid] },
    options,
  );
}

/** Lists a resource; returns its id. */
export async function listResource(client: DcxClient, params: ResourceParams, options?: WriteOptions) {
  const receipt = await write(
    client,
    { contract: "ResourceMarketplace", functionName: "listResource", args: [params] },
    options,
  );
  const [listed] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "ResourceListed" });
  return { resourceId: listed!.args.resourceId, receipt };
}

export function updateResourceTerms(
  client: DcxClient,
  params: { resourceId: bigint; terms: ResourceTerms },
  options?: WriteOptions,
) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "updateResourceTerms", args: [params.resourceId, params.terms] },
    options,
  );
}

export function updateResourceMetadata(
  client: DcxClient,
  params: { resourceId: bigint; metadataCid: string },
  options?: WriteOptions,
) {
  return write(
    client,
    {
      contract: "ResourceMarketplace",
      functionName: "updateResourceMetadata",
      args: [params.resourceId, params.metadataCid],
    },
    options,
  );
}

/** Stops (`paused: true`) or resumes new bookings of a resource; open bookings run on. */
export function setResourcePaused(
  client: DcxClient,
  params: { resourceId: bigint; paused: boolean },
  options?: WriteOptions,
) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "setResourcePaused", args: [params.resourceId, params.paused] },
    options,
  );
}

export function delistResource(client: DcxClient, params: { resourceId: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "delistResource", args: [params.resourceId] },
    options,
  );
}

/** Bonds `amount` of a token (ETH: sent with the call; an ERC-20: approved to the EscrowManager first). */
export function depositBond(client: DcxClient, params: { token: Address; amount: bigint }, options?: WriteOptions) {
  return write(
    client,
    {
      contract: "EscrowManager",
      functionName: "depositBond",
      args: [params.token, params.amount],
      value: isNative(params.token) ? params.amount : undefined,
    },
    options,
  );
}

export function requestBondWithdrawal(
  client: DcxClient,
  params: { token: Address; amount: bigint },
  options?: WriteOptions,
) {
  return write(
    client,
    { contract: "EscrowManager", functionName: "requestBondWithdrawal", args: [params.token, params.amount] },
    options,
  );
}

export function withdrawBond(client: DcxClient, params: { token: Address }, options?: WriteOptions) {
  return write(client, { contract: "EscrowManager", functionName: "withdrawBond", args: [params.token] }, options);
}

/** Withdraws the earnings of one or more of the provider's bookings, to itself or to `recipient`. */
export function withdrawEarnings(
  client: DcxClient,
  params: { bookingIds: bigint[]; recipient?: Address },
  options?: WriteOptions,
) {
  const [first, ...rest] = params.bookingIds;
  if (first === undefined) throw new DcxError({ cancelled: false, message: "Name at least one booking." });
  if (params.recipient) {
    return write(
      client,
      { contract: "EscrowManager", functionName: "withdrawEarningsTo", args: [params.bookingIds, params.recipient] },
      options,
    );
  }
  return rest.length
    ? write(
        client,
        { contract: "EscrowManager", functionName: "withdrawEarningsBatch", args: [params.bookingIds] },
        options,
      )
    : write(client, { contract: "EscrowManager", functionName: "withdrawEarnings", args: [first] }, options);
}

/** Claims what the escrow owes the account in `token` (refunds, SLA credits, bond payouts, fees), to itself or to `recipient`. */
export function claim(client: DcxClient, params: { token: Address; recipient?: Address }, options?: WriteOptions) {
  return params.recipient
    ? write(
        client,
        { contract: "EscrowManager", functionName: "claimTo", args: [params.token, params.recipient] },
        options,
      )
    : write(client, { contract: "EscrowManager", functionName: "claim", args: [params.token] }, options);
}

/** Claims the provider's DCX rewards. */
export function claimRewards(client: DcxClient, options?: WriteOptions) {
  return write(client, { contract: "RewardDistributor", functionName: "claim" }, options);
}

// ------------------------------------------------------------------------------------------------
// Consumers
// ------------------------------------------------------------------------------------------------

/**
 * The account's access key pair: its wallet signs `accessKeyMessage` and the X25519 keys come from
 * the signature (the same every time). Pass `publicKeyHex` to `book`, the pair to `fetchAccessDetails`.
 */
export async function deriveAccessKey(client: DcxClient): Promise<AccessKeyPair> {
  const from = account(client);
  const message = accessKeyMessage(client.deployment.chainId, from.address);
  // Signed twice: a wallet that does not sign deterministically would lose the key (NondeterministicWalletError).
  const signature = await deterministicSignature(() => client.walletClient!.signMessage({ account: from, message }));
  return deriveAccessKeyPair(signature);
}

export interface BookParams {
  resourceId: bigint;
  hours: number;
  /** Payment token: symbol or address (`ETH` or the zero address: the native currency). */
  token: string;
  /** Most the account pays, in the token's smallest unit (see `quote` and `withSlippage`). */
  maxPayment: bigint;
  /**
   * The loosest SLA the account accepts: the terms it was shown (`quote` returns the resource's).
   * The booking reverts (MarketplaceSlaBelowMinimum) if the provider loosened them since.
   */
  minSla: SlaTerms;
  /** The bytes32 X25519 public key the access details are encrypted to (`deriveAccessKey`). */
  encryptionPublicKey: Hex;
  /** ERC-20 only: approve the EscrowManager for `maxPayment` first when the allowance is smaller. */
  approve?: boolean;
}

export interface Booked {
  bookingId: bigint;
  /** What the booking cost, in the token's smallest unit. */
  amount: bigint;
  receipt: TransactionReceipt;
}

function booked(receipt: TransactionReceipt): Booked {
  const [requested] = parseEventLogs({
    abi: resourceMarketplaceAbi,
    logs: receipt.logs,
    eventName: "BookingRequested",
  });
  const [deposited] = parseEventLogs({ abi: escrowManagerAbi, logs: receipt.logs, eventName: "Deposited" });
  return { bookingId: requested!.args.bookingId, amount: deposited!.args.amount, receipt };
}

/**
 * How a payment of up to `maxPayment` in `token` (symbol or address) goes with the call: ETH as its
 * `value`; an ERC-20 through the EscrowManager's allowance, raised to `maxPayment` first when
 * `approve` is set and it is smaller.
 */
async function preparePayment(
  client: DcxClient,
  params: { token: string; maxPayment: bigint; approve?: boolean },
  options?: WriteOptions,
): Promise<{ address: Address; value: bigint | undefined }> {
  const address = getAddress(paymentToken(client.deployment, params.token).address);
  if (isNative(address)) return { address, value: params.maxPayment };
  if (params.approve && (await escrowAllowance(client, address, account(client).address)) < params.maxPayment) {
    await approveEscrow(client, { token: address, amount: params.maxPayment }, options);
  }
  return { address, value: undefined };
}

/** Books a resource, paying in ETH (sent with the call; any excess returns) or in an approved ERC-20. */
export async function book(client: DcxClient, params: BookParams, options?: WriteOptions): Promise<Booked> {
  const { address, value } = await preparePayment(client, params, options);
  const receipt = await write(
    client,
    {
      contract: "ResourceMarketplace",
      functionName: "book",
      args: [params.resourceId, params.hours, address, params.maxPayment, params.minSla, params.encryptionPublicKey],
      value,
    },
    options,
  );
  return booked(receipt);
}

/** Books paying in an EIP-2612 token: the account signs a permit for the EscrowManager, one transaction. */
export async function bookWithPermit(
  client: DcxClient,
  params: Omit<BookParams, "approve"> & { deadlineSeconds?: number },
  options?: WriteOptions,
): Promise<Booked> {
  const { address, permit } = await signEscrowPermit(client, params.token, params.maxPayment, params.deadlineSeconds);
  const receipt = await write(
    client,
    {
      contract: "ResourceMarketplace",
      functionName: "bookWithPermit",
      args: [
        params.resourceId,
        params.hours,
        address,
        params.maxPayment,
        params.minSla,
        params.encryptionPublicKey,
        permit,
      ],
    },
    options,
  );
  return booked(receipt);
}

/** The account's EIP-2612 permit for the EscrowManager to spend `value` of `tokenSymbolOrAddress`. */
async function signEscrowPermit(
  client: DcxClient,
  tokenSymbolOrAddress: string,
  value: bigint,
  deadlineSeconds = 1_800,
) {
  const token = paymentToken(client.deployment, tokenSymbolOrAddress);
  if (isNative(token.address))
    throw new DcxError({ cancelled: false, message: "ETH needs no permit: pay without one." });
  const from = account(client);
  const address = getAddress(token.address);
  const permitAbi = [
    ...erc20Abi,
    {
      type: "function",
      name: "nonces",
      stateMutability: "view",
      inputs: [{ name: "owner", type: "address" }],
      outputs: [{ type: "uint256" }],
    },
    {
      type: "function",
      name: "eip712Domain",
      stateMutability: "view",
      inputs: [],
      outputs: [
        { name: "fields", type: "bytes1" },
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
        { name: "salt", type: "bytes32" },
        { name: "extensions", type: "uint256[]" },
      ],
    },
  ] as const;
  let domain, nonce;
  try {
    [domain, nonce] = await Promise.all([
      client.publicClient.readContract({ address, abi: permitAbi, functionName: "eip712Domain" }),
      client.publicClient.readContract({ address, abi: permitAbi, functionName: "nonces", args: [from.address] }),
    ]);
  } catch (error) {
    throw new DcxError(
      { cancelled: false, message: `${token.symbol} does not support permits (EIP-2612): approve instead.` },
      { cause: error },
    );
  }
  const { timestamp } = await client.publicClient.getBlock();
  const deadline = timestamp + BigInt(deadlineSeconds);
  const [, name, version, chainId, verifyingContract] = domain;
  const permit = await signPermit(
    { signTypedData: (definition) => client.walletClient!.signTypedData({ ...definition, account: from } as never) },
    { name, version, chainId, verifyingContract },
    { owner: from.address, spender: contractAddress(client.deployment, "EscrowManager"), value, nonce, deadline },
  );
  return { address, permit };
}

/** What extending a booking by `hours` costs now, in the token it was paid in, and the SLA it keeps. */
export async function quoteExtension(client: DcxClient, params: { bookingId: bigint; hours: number }): Promise<Quote> {
  const booking = await getBooking(client, params.bookingId);
  if (booking.consumer === zeroAddress) {
    throw new DcxError({
      cancelled: false,
      name: "MarketplaceUnknownBooking",
      message: `Booking #${params.bookingId} does not exist.`,
    });
  }
  const token = paymentTokenById(client.deployment, booking.tokenId);
  const [priced, [, , sla]] = await Promise.all([
    quote(client, { resourceId: BigInt(booking.resourceId), hours: params.hours, token: token.address }),
    read<readonly [Address, number, SlaTerms]>(client, "ResourceMarketplace", "bookedSlaTerms", [params.bookingId]),
  ]);
  return { ...priced, sla };
}

export interface ExtendParams {
  bookingId: bigint;
  hours: number;
  /** The booking's payment token: symbol or address. */
  token: string;
  /** Most the account pays for the extension, in the token's smallest unit (see `quoteExtension`). */
  maxPayment: bigint;
  /** The loosest SLA the account accepts, checked against the booking's own terms. */
  minSla: SlaTerms;
  /** ERC-20 only: approve the EscrowManager for `maxPayment` first when the allowance is smaller. */
  approve?: boolean;
}

export interface Extended {
  /** When the booking now ends (unix seconds; 0 before it is provisioned). */
  endsAt: number;
  /** What the extension cost, in the token's smallest unit. */
  amount: bigint;
  receipt: TransactionReceipt;
}

function extended(receipt: TransactionReceipt): Extended {
  const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "BookingExtended" });
  const [deposit] = parseEventLogs({ abi: escrowManagerAbi, logs: receipt.logs, eventName: "DepositIncreased" });
  return { endsAt: event!.args.endsAt, amount: deposit!.args.amount, receipt };
}

/**
 * Extends the account's requested or running booking by `hours` at the resource's price now, in ETH
 * (sent with the call; any excess returns) or an approved ERC-20. A running booking must be
 * extended before it ends.
 */
export async function extendBooking(
  client: DcxClient,
  params: ExtendParams,
  options?: WriteOptions,
): Promise<Extended> {
  const { address, value } = await preparePayment(client, params, options);
  const receipt = await write(
    client,
    {
      contract: "ResourceMarketplace",
      functionName: "extendBooking",
      args: [params.bookingId, params.hours, address, params.maxPayment, params.minSla],
      value,
    },
    options,
  );
  return extended(receipt);
}

/** Extends paying in an EIP-2612 token with a permit for the EscrowManager, in one transaction. */
export async function extendBookingWithPermit(
  client: DcxClient,
  params: Omit<ExtendParams, "approve"> & { deadlineSeconds?: number },
  options?: WriteOptions,
): Promise<Extended> {
  const { address, permit } = await signEscrowPermit(client, params.token, params.maxPayment, params.deadlineSeconds);
  const receipt = await write(
    client,
    {
      contract: "ResourceMarketplace",
      functionName: "extendBookingWithPermit",
      args: [params.bookingId, params.hours, address, params.maxPayment, params.minSla, permit],
    },
    options,
  );
  return extended(receipt);
}

/** Cancels a booking before provisioning (the consumer; anyone after the timeout): a full refund. */
export function cancelBooking(client: DcxClient, params: { bookingId: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "cancelBooking", args: [params.bookingId] },
    options,
  );
}

/** Ends an active booking early; the unused time is refunded to the consumer. */
export function terminateBooking(client: DcxClient, params: { bookingId: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "terminateBooking", args: [params.bookingId] },
    options,
  );
}

/** Completes a booking that has reached its end (anyone). */
export function completeBooking(client: DcxClient, params: { bookingId: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "completeBooking", args: [params.bookingId] },
    options,
  );
}

/** Rates the provider of a completed booking, 1–5, once. */
export function rateBooking(client: DcxClient, params: { bookingId: bigint; score: number }, options?: WriteOptions) {
  return write(
    client,
    { contract: "ResourceMarketplace", functionName: "rateBooking", args: [params.bookingId, params.score] },
    options,
  );
}

/** The IPFS CID of a provisioned booking's encrypted access details (from BookingProvisioned), if any. */
export async function accessDetailsCid(client: DcxClient, bookingId: bigint): Promise<string | undefined> {
  const logs = await client.publicClient.getContractEvents({
    address: contractAddress(client.deployment, "ResourceMarketplace"),
    abi: resourceMarketplaceAbi,
    eventName: "BookingProvisioned",
    args: { bookingId },
    fromBlock: BigInt(client.deployment.contracts.ResourceMarketplace.startBlock),
    toBlock: "latest",
  });
  return logs.at(-1)?.args.accessDetailsCid;
}

/** Fetches a booking's access details from an IPFS gateway and decrypts them with the account's key. */
export async function fetchAccessDetails(
  client: DcxClient,
  params: { bookingId: bigint; keys: AccessKeyPair; ipfsGateway: string },
): Promise<AccessDetails> {
  const cid = await accessDetailsCid(client, params.bookingId);
  if (!cid) {
    throw new DcxError({
      cancelled: false,
      message: `Booking #${params.bookingId} is not provisioned yet: no access details.`,
    });
  }
  const response = await fetch(`${params.ipfsGateway.replace(/\/$/, "")}/ipfs/${cid}`);
  if (!response.ok)
    throw new DcxError({ cancelled: false, message: `IPFS gateway answered ${response.status} for ${cid}.` });
  return decryptAccessDetails(params.keys.privateKey, new Uint8Array(await response.arrayBuffer()));
}

// ------------------------------------------------------------------------------------------------
// Renewals and grace
// ------------------------------------------------------------------------------------------------

export { RENEWAL_SKIP_MESSAGES, type RenewalSkipReasonName, type RunwayState };

export interface RenewalPolicyParams {
  bookingId: bigint;
  /** Hours each renewal adds (1 to the resource's `maxHours`). */
  hoursPerRenewal: number;
  /** Highest resource price per hour to renew at, in USD with 8 decimals. */
  maxPricePerHourUsdE8: bigint;
  /** The most all renewals under this policy may spend, tips included, in the booking's token's smallest unit. */
  budget: bigint;
  /**
   * Also make the funds available: for an ERC-20, approve the EscrowManager for the budget when the
   * allowance is smaller (and BookingRenewals for the tips the budget can pay, when there is a tip);
   * for ETH, deposit into the renewal balance what it lacks of the budget.
   */
  fund?: boolean;
}

/**
 * Sets (or replaces) the renewal policy of the account's requested or running booking: from then on
 * anyone may renew it near its end, or in its grace, within these limits. The budget starts afresh.
 */
export async function setRenewalPolicy(client: DcxClient, params: RenewalPolicyParams, options?: WriteOptions) {
  const receipt = await write(
    client,
    {
      contract: "BookingRenewals",
      functionName: "setRenewalPolicy",
      args: [params.bookingId, params.hoursPerRenewal, params.maxPricePerHourUsdE8, params.budget],
    },
    options,
  );
  if (params.fund) {
    const { token } = await renewalPolicy(client, params.bookingId);
    const owner = account(client).address;
    if (isNative(token)) {
      const held = await renewalBalance(client, owner);
      if (held < params.budget) await depositRenewalBalance(client, { amount: params.budget - held }, options);
      return receipt;
    }
    if ((await escrowAllowance(client, token, owner)) < params.budget) {
      await approveEscrow(client, { token, amount: params.budget }, options);
    }
    const tips = renewalTip(params.budget, await read<number>(client, "BookingRenewals", "renewalTipBps"));
    if (tips > 0n && (await contractAllowance(client, token, owner, "BookingRenewals")) < tips) {
      await approveContract(client, token, "BookingRenewals", tips, options);
    }
  }
  return receipt;
}

/** Cancels the account's renewal policy of a booking: nothing renews it any more. */
export function cancelRenewalPolicy(client: DcxClient, params: { bookingId: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "BookingRenewals", functionName: "cancelRenewalPolicy", args: [params.bookingId] },
    options,
  );
}

/** A booking's renewal policy; `hoursPerRenewal` 0: none. */
export function renewalPolicy(client: DcxClient, bookingId: bigint): Promise<RenewalPolicy> {
  return read(client, "BookingRenewals", "renewalPolicy", [bookingId]);
}

/** The ETH (wei) `owner` holds in BookingRenewals for its ETH bookings' renewals. */
export function renewalBalance(client: DcxClient, owner: Address): Promise<bigint> {
  return read(client, "BookingRenewals", "renewalBalance", [owner]);
}

/** Adds `amount` wei to the account's renewal balance (ETH renewals are paid from it). */
export function depositRenewalBalance(client: DcxClient, params: { amount: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "BookingRenewals", functionName: "depositRenewalBalance", value: params.amount },
    options,
  );
}

/** Takes `amount` wei of the account's renewal balance back, at any time. */
export function withdrawRenewalBalance(client: DcxClient, params: { amount: bigint }, options?: WriteOptions) {
  return write(
    client,
    { contract: "BookingRenewals", functionName: "withdrawRenewalBalance", args: [params.amount] },
    options,
  );
}

export type Renewed =
  | {
      renewed: true;
      hours: number;
      /** Paid for the hours, in the booking's token's smallest unit. */
      amount: bigint;
      /** Paid to the caller (the account): into its renewal balance (ETH) or transferred (an ERC-20). */
      tip: bigint;
      /** What the policy may still spend. */
      budgetLeft: bigint;
      /** When the booking now ends (unix seconds). */
      endsAt: number;
      /** Whether the renewal resumed the booking from its grace. */
      resumed: boolean;
      receipt: TransactionReceipt;
    }
  | { renewed: false; reason: RenewalSkipReasonName; message: string; receipt: TransactionReceipt };

/**
 * Renews a booking by its policy, as anyone may: near its end (BookingRenewals' `renewalWindow`)
 * or in its grace. A renewal the rules rule out is no error: the result says why (`reason`).
 */
export async function renew(
  client: DcxClient,
  params: { bookingId: bigint },
  options?: WriteOptions,
): Promise<Renewed> {
  const receipt = await write(
    client,
    { contract: "BookingRenewals", functionName: "renew", args: [params.bookingId] },
    options,
  );
  const [done] = parseEventLogs({ abi: bookingRenewalsAbi, logs: receipt.logs, eventName: "BookingRenewed" });
  if (done) {
    const resumed = parseEventLogs({ abi: escrowManagerAbi, logs: receipt.logs, eventName: "StreamResumed" });
    return {
      renewed: true,
      hours: done.args.hoursRenewed,
      amount: done.args.amount,
      tip: done.args.tip,
      budgetLeft: done.args.budgetLeft,
      endsAt: done.args.endsAt,
      resumed: resumed.length > 0,
      receipt,
    };
  }
  const [skipped] = parseEventLogs({ abi: bookingRenewalsAbi, logs: receipt.logs, eventName: "RenewalSkipped" });
  const reason = RENEWAL_SKIP_REASON_NAMES[skipped!.args.reason]!;
  return { renewed: false, reason, message: RENEWAL_SKIP_MESSAGES[reason], receipt };
}

/** The next renewal at today's price and funds (the policy's maximum price is in `Runway.policy`). */
export interface NextRenewal extends Omit<RenewalFunds, "maxPricePerHourUsdE8"> {
  /**
   * When `renew` may first renew it (unix seconds): its end less the window, which is at most the
   * hours per renewal (0 before provisioning, when the end is not known yet).
   */
  opensAt: number;
  /** Null when the renewal would go through at today's price and funds; otherwise what rules it out. */
  blockedBy: RenewalSkipReasonName | null;
  /** `blockedBy` in words, or how it will renew. */
  message: string;
}

export interface Runway {
  bookingId: bigint;
  state: RunwayState;
  /** The chain's time now (unix seconds). */
  now: number;
  token: PaymentTokenDeployment;
  /** Until when it is paid (its stream's end; null before provisioning). */
  fundedUntil: number | null;
  /** When its grace ends (null before provisioning). */
  graceEndsAt: number | null;
  /** Seconds of funded time left (0 once it ended). */
  secondsLeft: number;
  /** The renewal policy, if any. */
  policy: RenewalPolicy | null;
  /** The next renewal by the policy, if the booking has one and can still be renewed. */
  nextRenewal: NextRenewal | null;
}

/**
 * A booking's runway: until when it is funded, when its grace ends, its renewal policy and whether
 * the next renewal would go through at today's price, allowance, balance and budget. BookingRenewals'
 * `renew` decides at the time; this checks the same conditions in the same order now.
 */
export async function runway(client: DcxClient, bookingId: bigint): Promise<Runway> {
  const [booking, stream, grace, window, tipBps, policy, block] = await Promise.all([
    getBooking(client, bookingId),
    read<Stream>(client, "EscrowManager", "streamOf", [bookingId]),
    read<number>(client, "EscrowManager", "gracePeriod"),
    read<number>(client, "BookingRenewals", "renewalWindow"),
    read<number>(client, "BookingRenewals", "renewalTipBps"),
    renewalPolicy(client, bookingId),
    client.publicClient.getBlock(),
  ]);
  if (booking.consumer === zeroAddress) {
    throw new DcxError({
      cancelled: false,
      name: "MarketplaceUnknownBooking",
      message: `Booking #${bookingId} does not exist.`,
    });
  }
  const now = Number(block.timestamp);
  const token = paymentTokenById(client.deployment, booking.tokenId);
  const provisioned = booking.status !== BookingStatus.Requested && stream.endsAt > 0;
  const fundedUntil = provisioned ? stream.endsAt : null;
  const graceEndsAt = fundedUntil === null ? null : fundedUntil + grace;
  const phase =
    booking.status === BookingStatus.Requested
      ? "requested"
      : booking.status === BookingStatus.Active
        ? "active"
        : "closed";
  const state = runwayState(phase, fundedUntil, graceEndsAt, now);
  const hasPolicy = policy.hoursPerRenewal > 0;
  const result: Runway = {
    bookingId,
    state,
    now,
    token,
    fundedUntil,
    graceEndsAt,
    secondsLeft: fundedUntil === null ? 0 : Math.max(0, fundedUntil - now),
    policy: hasPolicy ? policy : null,
    nextRenewal: null,
  };
  if (!hasPolicy || state === "closed" || state === "lapsed") return result;

  const resource = await getResource(client, BigInt(booking.resourceId));
  const pricePerHourUsdE8 = resource.pricePerHourUsdE8;
  const [amount] = await read<readonly [bigint, number]>(client, "PriceOracle", "quote", [
    token.address,
    pricePerHourUsdE8 * BigInt(policy.hoursPerRenewal),
  ]).catch(() => [0n, 0] as const);
  const tip = renewalTip(amount, tipBps);
  const cost = amount + tip;
  const native = isNative(token.address);
  const [allowance, tipsAllowed, balance] = native
    ? [undefined, undefined, await renewalBalance(client, booking.consumer)]
    : await Promise.all([
        escrowAllowance(client, getAddress(token.address), booking.consumer),
        // BookingRenewals takes the tip (from the consumer, for the caller) under an allowance of its own.
        tip > 0n
          ? contractAllowance(client, getAddress(token.address), booking.consumer, "BookingRenewals")
          : undefined,
        tokenBalance(client, getAddress(token.address), booking.consumer),
      ]);
  const funds = {
    pricePerHourUsdE8,
    amount,
    tip,
    budgetLeft: policy.budget,
    allowance,
    tipAllowance: tipsAllowed,
    balance,
  };
  const blockedBy = renewalBlockedBy({ ...funds, maxPricePerHourUsdE8: policy.maxPricePerHourUsdE8 });
  const windowSeconds = renewalWindowSeconds(window, policy.hoursPerRenewal);
  const opensAt = fundedUntil === null ? 0 : fundedUntil - windowSeconds;
  result.nextRenewal = {
    opensAt,
    ...funds,
    blockedBy,
    message: blockedBy
      ? RENEWAL_SKIP_MESSAGES[blockedBy]
      : `It renews by ${policy.hoursPerRenewal} h for ${formatUnits(cost, token.decimals)} ${token.symbol} at today's price, ${
          state === "requested"
            ? `from ${windowSeconds / 3_600} h before its end`
            : now >= opensAt
              ? "as soon as anyone calls renew"
              : `from ${new Date(opensAt * 1000).toISOString()}`
        }.`,
  };
  return result;
}

// ------------------------------------------------------------------------------------------------
// Governance
// ------------------------------------------------------------------------------------------------

export const VOTE_SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

/** Delegates the account's DCX votes (to itself by default): votes count only once delegated. */
export function delegateVotes(client: DcxClient, params: { delegatee?: Address } = {}, options?: WriteOptions) {
  return write(
    client,
    { contract: "DCXToken", functionName: "delegate", args: [params.delegatee ?? account(client).address] },
    options,
  );
}

/** Proposes `actions` to the DAO; returns the proposal id. */
export async function propose(
  client: DcxClient,
  params: { actions: Action[]; description: string },
  options?: WriteOptions,
) {
  const receipt = await write(
    client,
    {
      contract: "DAOGovernance",
      functionName: "propose",
      args: [
        params.actions.map((a) => a.target),
        params.actions.map((a) => a.value),
        params.actions.map((a) => a.calldata),
        params.description,
      ],
    },
    options,
  );
  const [created] = parseEventLogs({ abi: dAOGovernanceAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  return { proposalId: created!.args.proposalId, receipt };
}

export function castVote(
  client: DcxClient,
  params: { proposalId: bigint; support: keyof typeof VOTE_SUPPORT; reason?: string },
  options?: WriteOptions,
) {
  const support = VOTE_SUPPORT[params.support];
  return write(
    client,
    params.reason
      ? {
          contract: "DAOGovernance",
          functionName: "castVoteWithReason",
          args: [params.proposalId, support, params.reason],
        }
      : { contract: "DAOGovernance", functionName: "castVote", args: [params.proposalId, support] },
    options,
  );
}

/** A proposal's calls and description, from its ProposalCreated event. */
export async function getProposal(client: DcxClient, proposalId: bigint) {
  const events = await client.publicClient.getContractEvents({
    address: contractAddress(client.deployment, "DAOGovernance"),
    abi: dAOGovernanceAbi,
    eventName: "ProposalCreated",
    fromBlock: BigInt(client.deployment.contracts.DAOGovernance.startBlock),
    toBlock: "latest",
  });
  const created = events.find((event) => event.args.proposalId === proposalId);
  if (!created)
    throw new DcxError({ cancelled: false, message: `Proposal ${proposalId} does not exist on this deployment.` });
  const { targets, values, calldatas, description } = created.args;
  return { targets: targets!, values: values!, calldatas: calldatas!, description: description! };
}

async function timelockCall(
  client: DcxClient,
  functionName: "queue" | "execute",
  proposalId: bigint,
  options?: WriteOptions,
) {
  const proposal = await getProposal(client, proposalId);
  return write(
    client,
    {
      contract: "DAOGovernance",
      functionName,
      args: [proposal.targets, proposal.values, proposal.calldatas, descriptionHash(proposal.description)],
    },
    options,
  );
}

/** Queues a succeeded proposal in the timelock. */
export function queueProposal(client: DcxClient, params: { proposalId: bigint }, options?: WriteOptions) {
  return timelockCall(client, "queue", params.proposalId, options);
}

/** Executes a queued proposal once the timelock delay has passed. */
export function executeProposal(client: DcxClient, params: { proposalId: bigint }, options?: WriteOptions) {
  return timelockCall(client, "execute", params.proposalId, options);
}

/** The Governor's state of a proposal, by name. Read at the pending block: the time a transaction sent now sees. */
export async function proposalState(client: DcxClient, proposalId: bigint): Promise<ProposalStateName> {
  const state = await client.publicClient.readContract({
    address: contractAddress(client.deployment, "DAOGovernance"),
    abi: dAOGovernanceAbi,
    functionName: "state",
    args: [proposalId],
    blockTag: "pending",
  });
  return PROPOSAL_STATES[state]!;
}

export interface OracleSetChange {
  /** Addresses separated by commas or spaces. */
  add?: string;
  remove?: string;
  /** The new quorum of both signer sets (empty: unchanged). */
  quorum?: string;
}

/**
 * The calls of a change to the oracle set: the SLA signers of SLAEnforcement and the verifiers of
 * ResourceVerifier, checked against the chain's signer counts and quorums.
 */
export async function oracleSetActions(client: DcxClient, change: OracleSetChange): Promise<Action[]> {
  const contracts = knownContracts(client.deployment);
  const actions: Action[] = [];
  for (const contractName of SIGNER_SETS) {
    const [signerCount, quorum] = await Promise.all([
      read<bigint>(client, contractName, "signerCount"),
      read<number>(client, contractName, "quorum"),
    ]);
    const built = buildSignerChange(
      contracts,
      { signerCount: Number(signerCount), quorum },
      { contractName, add: change.add ?? "", remove: change.remove ?? "", quorum: change.quorum ?? "" },
    );
    if ("error" in built && built.error)
      throw new DcxError({ cancelled: false, message: `${contractName}: ${built.error}` });
    actions.push(...built.actions!);
  }
  return actions;
}

/** The current oracle signers and quorum of each signer set, from the chain's SignerAdded/SignerRemoved events. */
export async function oracleSet(client: DcxClient) {
  const sets = [];
  for (const contractName of SIGNER_SETS) {
    const address = contractAddress(client.deployment, contractName);
    const abi = CONTRACT_ABIS[contractName];
    const logs = await client.publicClient.getLogs({
      address,
      fromBlock: BigInt(client.deployment.contracts[contractName].startBlock),
      toBlock: "latest",
    });
    const signers = new Set<Address>();
    for (const event of parseEventLogs({ abi, logs, eventName: ["SignerAdded", "SignerRemoved"] })) {
      const signer = (event.args as { signer: Address }).signer;
      if (event.eventName === "SignerAdded") signers.add(signer);
      else signers.delete(signer);
    }
    sets.push({ contractName, quorum: await read<number>(client, contractName, "quorum"), signers: [...signers] });
  }
  return sets;
}
