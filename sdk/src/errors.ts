/**
 * Every revert a D-CloudX call can end in, explained in words: the custom errors of every D-CloudX
 * contract (a revert can come from a contract the called one called), the tokens' ERC-20 errors
 * (OpenZeppelin's ERC-6093 errors and the `Error(string)` reasons of older tokens), panics, and the
 * wallet's and RPC endpoint's own failures.
 */
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  UserRejectedRequestError,
  decodeErrorResult,
  formatUnits,
  keccak256,
  toHex,
  zeroHash,
} from "viem";

import * as abis from "./generated/abis.ts";
import { PROPOSAL_STATES, expectedStates } from "./proposals.ts";

type AbiError = Extract<Abi[number], { type: "error" }>;

/** ERC-6093's ERC-20 errors, as tokens built on OpenZeppelin 5 raise them. */
const erc6093Abi = [
  ["ERC20InsufficientBalance", ["address", "uint256", "uint256"]],
  ["ERC20InvalidSender", ["address"]],
  ["ERC20InvalidReceiver", ["address"]],
  ["ERC20InsufficientAllowance", ["address", "uint256", "uint256"]],
  ["ERC20InvalidApprover", ["address"]],
  ["ERC20InvalidSpender", ["address"]],
].map(([name, types]) => ({
  type: "error",
  name,
  inputs: (types as string[]).map((type) => ({ type, name: "" })),
})) as AbiError[];

/** Every custom error of every D-CloudX contract and of ERC-20 tokens, once. */
export const errorsAbi: readonly AbiError[] = [
  ...new Map(
    [...Object.values(abis).flat(), ...erc6093Abi]
      .filter((item): item is AbiError => (item as { type: string }).type === "error")
      .map((item) => [`${item.name}(${item.inputs.map((input) => input.type).join(",")})`, item]),
  ).values(),
];

export interface DecodedError {
  /** The user's own cancel (a rejected signature): nothing to show. */
  cancelled: boolean;
  /** The custom error's name, when the chain reverted with one. */
  name?: string;
  /** The custom error's arguments. */
  args?: readonly unknown[];
  message: string;
}

type Args = readonly unknown[];

export const shortenAddress = (address: string) =>
  address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
const who = (value: unknown) => shortenAddress(String(value));
const time = (value: unknown) => new Date(Number(value) * 1000).toISOString().replace(".000Z", "Z");
const usd = (valueE8: unknown) => formatUnits(BigInt(valueE8 as bigint), 8);
const percent = (bps: unknown) => `${Number(bps) / 100} %`;
/** SLA terms as a person reads them. */
const sla = (terms: unknown) => {
  const { uptimeTargetBps, maxLatencyMs } = terms as { uptimeTargetBps: number; maxLatencyMs: number };
  return `${Number(uptimeTargetBps) / 100} % uptime${Number(maxLatencyMs) ? ` within ${maxLatencyMs} ms` : ""}`;
};
/** Every access-control role of the D-CloudX contracts by its id: `NAME_ROLE` is keccak256("NAME_ROLE"). */
const ROLE_NAMES = new Map<string, string>([
  [zeroHash, "DEFAULT_ADMIN_ROLE"],
  ...Object.values(abis)
    .flat()
    .filter(
      (item) => item.type === "function" && /^[A-Z_]+_ROLE$/.test(item.name) && item.name !== "DEFAULT_ADMIN_ROLE",
    )
    .map((item) => [keccak256(toHex((item as { name: string }).name)), (item as { name: string }).name] as const),
]);
/** Who holds each role in a D-CloudX deployment; the others are held by D-CloudX contracts. */
const ROLE_HOLDERS: Record<string, string> = {
  DEFAULT_ADMIN_ROLE: "the DAO's timelock",
  UPGRADER_ROLE: "the DAO's timelock",
  GUARDIAN_ROLE: "the guardian",
  PROPOSER_ROLE: "the DAO's governor",
  CANCELLER_ROLE: "the DAO's governor",
};
const role = (id: unknown) => {
  const name = ROLE_NAMES.get(String(id).toLowerCase());
  return name ? `${ROLE_HOLDERS[name] ?? "another D-CloudX contract"} (${name})` : `the holder of role ${id}`;
};
const dcx = (value: unknown) => formatUnits(BigInt(value as bigint), 18);
const proposalState = (value: unknown) => PROPOSAL_STATES[Number(value)]?.toLowerCase() ?? `in state ${value}`;

/** The Solidity panic codes (`Panic(uint256)`). */
const PANICS: Record<number, string> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic overflow or underflow",
  0x12: "a division by zero",
  0x21: "an invalid enum value",
  0x22: "corrupt storage",
  0x31: "a pop from an empty array",
  0x32: "an array index out of bounds",
  0x41: "an out-of-memory allocation",
  0x51: "a call to an uninitialised function",
};

/** A sentence for every error in `errorsAbi` (a test checks that none is missing). */
export const ERROR_MESSAGES: Record<string, (args: Args) => string> = {
  // ResourceMarketplace
  MarketplacePaused: () => "The marketplace is paused by its guardian; try again later.",
  MarketplaceAlreadyRegistered: () => "This account is already registered as a provider.",
  MarketplaceNotProvider: ([account]) => `${who(account)} is not a registered provider: register first.`,
  MarketplaceInvalidCid: () => "The metadata CID is not valid.",
  MarketplaceInvalidRegion: () => "The region is not valid.",
  MarketplaceInvalidTerms: () =>
    "These terms are not valid: check price, capacity, hours, uptime target and accepted tokens.",
  MarketplaceUnknownResource: ([id]) => `Resource #${id} does not exist.`,
  MarketplaceNotResourceProvider: ([id, caller]) =>
    `Only the provider of resource #${id} can do that (not ${who(caller)}).`,
  MarketplaceInvalidResourceStatus: ([id, status]) =>
    `Resource #${id} cannot be booked or changed in its current state (${["none", "listed", "paused", "delisted"][Number(status)] ?? status}).`,
  MarketplaceInvalidHours: ([, hours, min, max]) => `Book between ${min} and ${max} hours (not ${hours}).`,
  MarketplaceNoCapacity: ([id, capacity]) => `Resource #${id} is fully booked right now (capacity ${capacity}).`,
  MarketplaceTokenNotAccepted: ([id, token]) =>
    `The provider does not accept this token (${who(token)}) for resource #${id}.`,
  MarketplaceSlippage: ([amount, maxPayment]) =>
    `The price (${amount}) moved beyond your slippage limit (at most ${maxPayment}, in the token's smallest unit). Review the new total and try again.`,
  MarketplaceInvalidValue: ([expected, received]) =>
    `The ETH sent (${received} wei) does not match the payment (${expected} wei).`,
  MarketplaceSelfBooking: ([id]) => `Providers cannot book their own resources (resource #${id}).`,
  MarketplaceInvalidEncryptionKey: () =>
    "Your access key cannot be encrypted to (it is not a valid X25519 public key): sign the access-key message again with an ordinary wallet.",
  MarketplaceSlaBelowMinimum: ([id, offered, minimum]) =>
    `Resource #${id}'s SLA changed since you looked: it now offers ${sla(offered)}, looser than the ${sla(minimum)} you were shown. Review the new terms before booking.`,
  MarketplaceInsufficientBond: ([, bond, required]) =>
    `The provider's bond ($${usd(bond)}) no longer covers its bookings ($${usd(required)} needed); it takes no new bookings until it bonds more.`,
  MarketplaceInvalidBondCoverage: ([bps]) => `A bond coverage of ${percent(bps)} is above 100 %.`,
  MarketplaceInvalidCancellationPolicy: ([fee, free]) =>
    `A cancellation fee of ${percent(fee)} after ${free} s is out of bounds (at most 10 %, after at most 7 days).`,
  MarketplaceNoOracleSigners: () => "No oracle signer set confirms provisioning yet.",
  MarketplaceNotConsumerFault: () => "That reason is not a consumer fault.",
  MarketplaceWrongToken: ([id, token]) =>
    `Booking #${id} was not paid in ${who(token)}: extend it in the token it was paid in.`,
  MarketplacePermitFailed: ([token]) =>
    `The permit for ${who(token)} failed and the allowance does not cover the payment.`,
  MarketplaceUnknownBooking: ([id]) => `Booking #${id} does not exist.`,
  MarketplaceInvalidBookingStatus: ([id, status]) =>
    `Booking #${id} is ${["unknown", "requested", "active", "completed", "cancelled", "terminated"][Number(status)] ?? status}: it does not allow this.`,
  MarketplaceUnauthorized: ([id, caller]) =>
    `Only the consumer (or, to terminate it, the provider) of booking #${id} can do that (not ${who(caller)}).`,
  MarketplaceProvisioningExpired: ([id, deadline]) =>
    `The provisioning deadline of booking #${id} passed at ${time(deadline)}.`,
  MarketplaceProvisioningPending: ([, deadline]) =>
    `The provider has until ${time(deadline)} to provision; only the consumer can cancel before then.`,
  MarketplaceInvalidTimeout: ([seconds]) => `A provisioning timeout of ${seconds} s is out of range.`,
  MarketplaceInGrace: ([id, graceEndsAt]) =>
    `Booking #${id} is in its grace until ${time(graceEndsAt)}: until then only its consumer may complete it (giving up the grace), or extend it to resume it.`,
  // EscrowManager
  EscrowZeroAmount: () => "Enter an amount above zero.",
  EscrowAmountTooLarge: ([amount]) => `${amount} is larger than the escrow can hold.`,
  EscrowValueMismatch: ([expected, received]) => `The ETH sent (${received} wei) does not match ${expected} wei.`,
  EscrowTransferShortfall: ([token, expected, received]) =>
    `The token ${who(token)} delivered ${received} instead of ${expected} (fee-on-transfer tokens are not supported).`,
  EscrowBookingExists: ([id]) => `The escrow already holds a deposit for booking #${id}.`,
  EscrowUnknownBooking: ([id]) => `The escrow holds nothing for booking #${id}.`,
  EscrowInvalidState: ([id]) => `Booking #${id}'s payment is not in a state that allows this.`,
  EscrowNotProvider: ([id, caller]) =>
    `Only the provider of booking #${id} can withdraw its earnings (not ${who(caller)}).`,
  EscrowNothingToWithdraw: () => "There is nothing to withdraw yet.",
  EscrowStreamEnded: ([, endsAt]) =>
    `The booking already ran to its end (${time(endsAt)}): complete it instead of terminating.`,
  EscrowPeriodOutOfRange: ([id, period, count]) =>
    `Booking #${id} has ${count} SLA period(s); period ${period} is not one of them.`,
  EscrowPeriodNotEnded: ([id, period, endsAt]) =>
    `SLA period ${period} of booking #${id} ends at ${time(endsAt)}; it cannot be settled before.`,
  EscrowReportWindowClosed: ([id, period, closedAt]) =>
    `The report window of period ${period} of booking #${id} closed at ${time(closedAt)}.`,
  EscrowPeriodOutOfOrder: ([id, period, next]) =>
    `Booking #${id}'s SLA periods settle in order: period ${next} comes before ${period}.`,
  EscrowNothingToClaim: ([account, token]) => `${who(account)} has nothing to claim in ${who(token)}.`,
  EscrowUnsupportedToken: ([token]) => `${who(token)} cannot be used for payments or bonds.`,
  EscrowInsufficientBond: ([, , available, requested]) =>
    `The bond holds ${available}, less than the ${requested} asked for.`,
  EscrowBondLocked: ([availableAt]) => `The bond is still unbonding until ${time(availableAt)}.`,
  EscrowStreamNotEnded: ([, endsAt]) => `The booking runs until ${time(endsAt)}.`,
  EscrowFeeAboveDeposit: ([id, feeBps]) =>
    `A cancellation fee of ${percent(feeBps)} is more than booking #${id}'s deposit.`,
  EscrowZeroRecipient: () => "Name an address to pay to.",
  EscrowInvalidSettings: () =>
    "The escrow rejected these settings: the fee is above its maximum or a setting fixed at deployment changed.",
  EscrowInvalidGracePeriod: ([seconds]) =>
    `A grace period of ${seconds} s is longer than the report window: a resume must come while the last period can still be reported.`,
  // BookingRenewals
  RenewalsUnauthorized: ([id, caller]) =>
    `Only the consumer of booking #${id} can change its renewal policy (not ${who(caller)}).`,
  RenewalsBookingFinished: ([id]) => `Booking #${id} is finished (or does not exist): it cannot renew.`,
  RenewalsInvalidPolicy: () => "A renewal policy needs at least one hour per renewal and a maximum price above zero.",
  RenewalsNoPolicy: ([id]) => `Booking #${id} has no renewal policy.`,
  RenewalsInvalidSettings: ([windowSeconds, tipBps]) =>
    `A renewal window of ${windowSeconds} s with a tip of ${percent(tipBps)} is out of bounds (1 minute to 7 days, a tip of at most 1 %).`,
  RenewalsZeroAmount: () => "Enter an amount above zero.",
  RenewalsInsufficientBalance: ([, available, requested]) =>
    `The renewal balance holds ${formatUnits(BigInt(available as bigint), 18)} ETH, less than the ${formatUnits(BigInt(requested as bigint), 18)} ETH asked for.`,
  // PriceOracle and GovernedPriceFeed
  PriceOracleAnswerOutOfBounds: () =>
    "The token's price feed answers at the edge of its allowed range, where it cannot be trusted; payments in it are paused until it recovers.",
  PriceOracleUnsupportedToken: ([token]) => `${who(token)} is not a payment token (it has no price feed).`,
  PriceOracleInvalidFeed: ([feed]) => `${who(feed)} does not answer like a Chainlink USD feed.`,
  PriceOracleInvalidHeartbeat: ([seconds]) => `A heartbeat of ${seconds} s is out of range.`,
  PriceOracleInvalidToken: ([token]) => `${who(token)} cannot be a payment token.`,
  PriceOracleUnknownTokenId: ([id]) => `No payment token has id ${id}.`,
  PriceOracleTooManyTokens: () => "The oracle already has the maximum number of payment tokens.",
  PriceOracleInvalidAnswer: ([token, answer]) =>
    `The price feed of ${who(token)} answered an invalid price (${answer}).`,
  PriceOracleStalePrice: ([token, updatedAt]) =>
    `The price feed of ${who(token)} is stale (last update ${time(updatedAt)}); payments in it are paused until it updates.`,
  PriceOracleFutureTimestamp: ([token]) => `The price feed of ${who(token)} reports a time in the future.`,
  PriceOracleRoundIncomplete: ([token]) => `The price feed of ${who(token)} has an incomplete round.`,
  PriceOracleSequencerDown: () => "The network's sequencer is down; try again shortly.",
  PriceOracleSequencerGracePeriod: () => "The network's sequencer restarted moments ago; try again shortly.",
  GovernedPriceFeedInvalidAnswer: ([answer]) => `${answer} is not a valid price.`,
  GovernedPriceFeedNoRound: () => "The price feed has no price yet.",
  // ReputationSystem, RewardDistributor, SLAEnforcement, ResourceVerifier
  ReputationInvalidScore: ([score]) => `A rating is between 1 and 5 stars (not ${score}).`,
  ReputationAlreadyRated: ([id]) => `Booking #${id} has already been rated.`,
  ReputationBookingTooSmall: ([, value, minimum]) =>
    `Only bookings worth at least $${usd(minimum)} can be rated (this one is worth $${usd(value)}).`,
  ReputationInvalidMinValue: () => "The minimum value must be between $0.0001 and $1,000.",
  RewardsInvalidRewardPerFee: () => "Rewards may be worth at most 100 % of the fees paid.",
  RewardsNothingToClaim: () => "No rewards to claim yet.",
  RewardsInvalidRate: ([rate, max]) => `An emission rate of ${rate} per second is above the maximum (${max}).`,
  RewardsInvalidEpochLength: ([seconds]) => `An epoch of ${seconds} s is not valid.`,
  SlaLengthMismatch: ([reports, signatures]) => `${reports} report(s) came with ${signatures} signature list(s).`,
  SlaInvalidReport: ([id, period]) => `The SLA report for period ${period} of booking #${id} is not valid.`,
  SlaInvalidCreditPolicy: () =>
    "The credit policy is not valid: credits up to 100 %, at most 8 tiers, thresholds falling and credits rising.",
  SlaInsufficientGas: () => "Not enough gas left to settle the reports: send with more gas.",
  VerifierUnknownResource: ([id]) => `Resource #${id} does not exist.`,
  VerifierStaleMetadata: ([id, attested, current]) =>
    `The attestation is for version ${attested} of resource #${id}'s metadata; it is now version ${current}.`,
  VerifierInvalidValidity: () => "The attestation's validity period is not valid.",
  VerifierNotNewer: ([id]) => `Resource #${id} already has a newer attestation.`,
  VerifierUnauthorized: ([caller]) => `${who(caller)} may not do that.`,
  VerifierNotVerified: ([id]) => `Resource #${id} is not verified.`,
  VerifierInvalidMaxValidity: ([seconds]) => `A maximum validity of ${seconds} s is out of range.`,
  VerifierInvalidClaims: () => "The attestation's claims are empty or too long.",
  QuorumNotReached: ([, signatures, quorum]) =>
    `The statement carries ${signatures} oracle signature(s); ${quorum} are needed.`,
  QuorumUnknownSigner: ([signer]) => `${who(signer)} is not one of the oracle signers.`,
  QuorumDuplicateSigner: ([signer]) => `${who(signer)} signed twice.`,
  QuorumSignersUnordered: () => "The signatures must be ordered by signer address.",
  QuorumSignerExists: ([signer]) => `${who(signer)} is already a signer.`,
  QuorumSignerMissing: ([signer]) => `${who(signer)} is not a signer.`,
  QuorumInvalid: ([quorum, signers]) => `A quorum of ${quorum} is not possible with ${signers} signer(s).`,
  ManagedZeroAddress: () => "The zero address is not allowed here.",
  // Governance
  GovernorInsufficientProposerVotes: ([, votes, threshold]) =>
    `Proposing needs ${dcx(threshold)} DCX of voting power (you have ${dcx(votes)}). Delegate to yourself first.`,
  GovernorAlreadyCastVote: () => "You have already voted on this proposal.",
  GovernorUnexpectedProposalState: ([, current, expected]) => {
    // `expected` is a bitmap of states, encoded as bytes32.
    const allowed = expectedStates(BigInt(expected as string));
    return allowed.length
      ? `The proposal is ${proposalState(current)}; this is only possible once it is ${allowed.join(" or ").toLowerCase()}.`
      : "A proposal with the same actions and description already exists.";
  },
  GovernorNonexistentProposal: ([id]) => `Proposal ${id} does not exist.`,
  GovernorInvalidProposalLength: () =>
    "A proposal needs at least one action, each with a target, a value and call data.",
  GovernorInvalidVoteType: () => "Vote for, against or abstain.",
  GovernorInvalidVoteParams: () => "The vote's parameters are not valid.",
  GovernorRestrictedProposer: () => "This description reserves the proposal for another proposer.",
  GovernorOnlyExecutor: () => "Only the DAO's timelock can do that: make it a proposal.",
  GovernorAlreadyQueuedProposal: ([id]) => `Proposal ${id} is already queued.`,
  GovernorProposalQueueingFailed: () => "The timelock refused to queue the proposal.",
  GovernorProposalQueueingNotRequired: () => "This proposal needs no queueing.",
  GovernorDisabledDeposit: () => "The governor does not accept deposits.",
  GovernorInvalidQuorumFraction: () => "The quorum fraction is not valid.",
  GovernorInvalidSignature: () => "The vote signature is not valid.",
  GovernorInvalidVotingPeriod: () => "The voting period is not valid.",
  GovernorUnableToCancel: () => "The proposal can no longer be cancelled.",
  TimelockUnexpectedOperationState: () => "The timelock operation is not ready: its delay has not passed yet.",
  TimelockInsufficientDelay: ([delay, minimum]) => `A delay of ${delay} s is below the minimum of ${minimum} s.`,
  TimelockInvalidOperationLength: () => "The operation's targets, values and call data differ in length.",
  TimelockUnauthorizedCaller: ([caller]) => `${who(caller)} may not execute this operation.`,
  TimelockUnexecutedPredecessor: () => "An earlier operation must be executed first.",
  ERC5805FutureLookup: () => "Voting power is asked for a time that has not come yet.",
  ERC6372InconsistentClock: () => "The token's clock and the governor's differ.",
  CheckpointUnorderedInsertion: () => "Voting power checkpoints out of order.",
  VotesExpiredSignature: ([expiry]) => `The delegation signature expired at ${time(expiry)}.`,
  InvalidAccountNonce: ([account]) => `The signature for ${who(account)} was already used (stale nonce).`,
  // Tokens (ERC-20, ERC-6093, EIP-2612)
  ERC20InsufficientBalance: ([sender, balance, needed]) =>
    `The token balance of ${who(sender)} (${balance}) is smaller than the ${needed} needed.`,
  ERC20InsufficientAllowance: ([spender, allowance, needed]) =>
    `The token allowance for ${who(spender)} (${allowance}) is smaller than the ${needed} needed: approve the EscrowManager first.`,
  ERC20InvalidSender: ([sender]) => `${who(sender)} cannot send tokens.`,
  ERC20InvalidReceiver: ([receiver]) => `${who(receiver)} cannot receive tokens.`,
  ERC20InvalidApprover: ([approver]) => `${who(approver)} cannot approve.`,
  ERC20InvalidSpender: ([spender]) => `${who(spender)} cannot be approved.`,
  ERC20ExceededCap: ([supply, cap]) => `Minting would take the supply to ${dcx(supply)}, above the cap of ${dcx(cap)}.`,
  ERC20InvalidCap: () => "The cap is not valid.",
  ERC20ExceededSafeSupply: () => "The supply would exceed what voting power can count.",
  ERC2612ExpiredSignature: ([deadline]) => `The permit signature expired at ${time(deadline)}; sign again.`,
  ERC2612InvalidSigner: () => "The permit signature is not valid.",
  SafeERC20FailedOperation: ([token]) => `The token ${who(token)} refused the transfer.`,
  InsufficientBalance: ([balance, needed]) => `The contract holds ${balance} wei, less than the ${needed} needed.`,
  // Access control, upgrades, signatures, library errors
  AccessControlUnauthorizedAccount: ([account, needed]) => `Only ${role(needed)} may do that, not ${who(account)}.`,
  AccessControlBadConfirmation: () => "Only the account itself can renounce its role.",
  ERC1967InvalidImplementation: ([implementation]) =>
    `${who(implementation)} is not a contract that can be an implementation.`,
  ERC1967NonPayable: () => "This upgrade call takes no ETH.",
  UUPSUnsupportedProxiableUUID: () => "The new implementation is not a compatible (UUPS) implementation.",
  UUPSUnauthorizedCallContext: () => "Upgrades go through the proxy.",
  InvalidInitialization: () => "The contract is already initialised.",
  NotInitializing: () => "The contract is not initialising.",
  AddressEmptyCode: ([target]) => `${who(target)} has no code.`,
  FailedCall: () => "A call made by the contract failed.",
  ReentrancyGuardReentrantCall: () => "A reentrant call was refused.",
  ECDSAInvalidSignature: () => "A signature is not valid.",
  ECDSAInvalidSignatureLength: () => "A signature has the wrong length.",
  ECDSAInvalidSignatureS: () => "A signature is malleable (high s).",
  SafeCastOverflowedIntDowncast: ([bits, value]) => `${value} does not fit in ${bits} bits.`,
  SafeCastOverflowedUintDowncast: ([bits, value]) => `${value} does not fit in ${bits} bits.`,
};

function describeCustom(name: string, args: Args): string {
  const phrase = ERROR_MESSAGES[name];
  if (phrase) return phrase(args);
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  const shown = args.map((arg) => (typeof arg === "string" && arg.startsWith("0x") ? who(arg) : String(arg)));
  return `Transaction rejected: ${words}${shown.length ? ` (${shown.join(", ")})` : ""}.`;
}

/** Decodes revert data against every D-CloudX and ERC-20 error. */
export function decodeRevertData(data: Hex): { name: string; args: Args } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: errorsAbi as Abi, data });
    return { name: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

function revertData(error: BaseError): Hex | undefined {
  let found: Hex | undefined;
  error.walk((cause) => {
    const data = (cause as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) found = data as Hex;
    else if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      found = (data as { data: Hex }).data;
    }
    return false;
  });
  return found;
}

/** A revert, a wallet refusal or an RPC failure, as one sentence a person can act on. */
export function decodeError(error: unknown): DecodedError {
  if (!(error instanceof BaseError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { cancelled: false, message: message || "Something went wrong." };
  }
  if (error.walk((cause) => cause instanceof UserRejectedRequestError || (cause as { code?: number }).code === 4001)) {
    return { cancelled: true, message: "Cancelled in the wallet." };
  }
  const reverted = error.walk(
    (cause) => cause instanceof ContractFunctionRevertedError,
  ) as ContractFunctionRevertedError | null;
  const decoded =
    reverted?.data && reverted.data.errorName !== "Error" && reverted.data.errorName !== "Panic"
      ? { name: reverted.data.errorName, args: (reverted.data.args ?? []) as Args }
      : (() => {
          const data = reverted?.raw ?? revertData(error);
          return data ? decodeRevertData(data) : undefined;
        })();
  if (decoded) {
    return {
      cancelled: false,
      name: decoded.name,
      args: decoded.args,
      message: describeCustom(decoded.name, decoded.args),
    };
  }
  if (reverted?.data?.errorName === "Panic") {
    const code = Number(reverted.data.args?.[0]);
    return { cancelled: false, name: "Panic", message: `The contract stopped on ${PANICS[code] ?? `panic ${code}`}.` };
  }
  if (reverted?.reason) return { cancelled: false, message: `Transaction rejected: ${reverted.reason}.` };
  // viem names it InsufficientFundsError; some nodes (Hardhat) answer with invalid parameters and say it in the details.
  const noFunds = (cause: unknown) =>
    (cause as Error).name === "InsufficientFundsError" ||
    /insufficient funds|enough funds/i.test(`${(cause as BaseError).details ?? ""} ${(cause as Error).message}`);
  if (error.walk(noFunds)) {
    return { cancelled: false, message: "Not enough ETH to pay for this transaction and its gas." };
  }
  if (error.walk((cause) => ["HttpRequestError", "TimeoutError"].includes((cause as Error).name))) {
    return { cancelled: false, message: "The chain's RPC endpoint is unreachable. Check the URL or your connection." };
  }
  return { cancelled: false, message: error.shortMessage || error.message };
}
