/**
 * Turns whatever a write or read threw into one sentence a user can act on. Custom errors are
 * decoded against every D-CloudX ABI (a revert can come from a contract the called one called),
 * then phrased by `describe`; a rejected signature is a quiet cancel.
 */
import * as abis from "@d-cloudx/sdk/abis";
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  UserRejectedRequestError,
  decodeErrorResult,
  erc20Abi,
  formatUnits,
} from "viem";

import { shortenAddress } from "./format.ts";
import { expectedStates, stateName } from "../pages/governance/proposalState.ts";

type AbiError = Extract<Abi[number], { type: "error" }>;

/** Every custom error of every contract, once. */
const errorsAbi: Abi = [
  ...new Map(
    [...Object.values(abis), erc20Abi]
      .flatMap((abi) => (abi as Abi).filter((item): item is AbiError => item.type === "error"))
      .map((item) => [`${item.name}(${item.inputs.map((input) => input.type).join(",")})`, item]),
  ).values(),
];

export interface DecodedError {
  /** A user's own cancel (rejected signature): show nothing. */
  cancelled: boolean;
  /** The custom error's name, when the chain reverted with one. */
  name?: string;
  message: string;
}

type Args = readonly unknown[];
const time = (value: unknown) => new Date(Number(value) * 1000).toLocaleString("en-US");
const usd = (valueE8: unknown) => formatUnits(BigInt(valueE8 as bigint), 8);
const percent = (bps: unknown) => `${Number(bps) / 100} %`;
/** SLA terms as a person reads them. */
const sla = (terms: unknown) => {
  const { uptimeTargetBps, maxLatencyMs } = terms as { uptimeTargetBps: number; maxLatencyMs: number };
  return `${Number(uptimeTargetBps) / 100} % uptime${Number(maxLatencyMs) ? ` within ${maxLatencyMs} ms` : ""}`;
};

/** Readable text for the errors a user can run into; the rest are named as they are. */
const messages: Record<string, (args: Args) => string> = {
  MarketplacePaused: () => "The marketplace is paused by its guardian; try again later.",
  MarketplaceAlreadyRegistered: () => "This account is already registered as a provider.",
  MarketplaceNotProvider: () => "Register as a provider first.",
  MarketplaceInvalidCid: () => "The metadata CID is not valid.",
  MarketplaceInvalidRegion: () => "The region is not valid.",
  MarketplaceInvalidTerms: () =>
    "These terms are not valid: check price, capacity, hours, uptime target and accepted tokens.",
  MarketplaceUnknownResource: ([id]) => `Resource #${id} does not exist.`,
  MarketplaceNotResourceProvider: ([id]) => `Only the provider of resource #${id} can do that.`,
  MarketplaceInvalidResourceStatus: ([id]) => `Resource #${id} cannot be booked or changed in its current state.`,
  MarketplaceInvalidHours: ([, hours, min, max]) => `Book between ${min} and ${max} hours (not ${hours}).`,
  MarketplaceNoCapacity: () => "This resource is fully booked right now.",
  MarketplaceTokenNotAccepted: () => "The provider does not accept this token for this resource.",
  MarketplaceSlippage: () => "The price moved beyond your slippage limit. Review the new total and try again.",
  MarketplaceInvalidValue: () => "The amount sent does not match the booking's price.",
  MarketplaceSelfBooking: () => "Providers cannot book their own resources.",
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
  MarketplaceInvalidBookingStatus: () => "The booking is not in a state that allows this.",
  MarketplaceUnknownBooking: ([id]) => `Booking #${id} does not exist.`,
  MarketplaceUnauthorized: () => "Only the consumer or the provider of this booking can do that.",
  MarketplaceProvisioningPending: ([, deadline]) =>
    `The provider has until ${time(deadline)} to provision; only the consumer can cancel before then.`,
  MarketplaceProvisioningExpired: () => "The provisioning deadline has passed.",
  EscrowStreamNotEnded: ([, endsAt]) => `The booking runs until ${time(endsAt)}.`,
  EscrowZeroRecipient: () => "Name an address to pay to.",
  QuorumNotReached: ([, signatures, quorum]) =>
    `The statement carries ${signatures} oracle signature(s); ${quorum} are needed.`,
  QuorumUnknownSigner: ([signer]) => `${shortenAddress(String(signer))} is not one of the oracle signers.`,
  MarketplacePermitFailed: () => "The token permit failed and the allowance does not cover the payment.",
  ReputationAlreadyRated: () => "This booking has already been rated.",
  ReputationInvalidScore: () => "A rating is between 1 and 5 stars.",
  ReputationBookingTooSmall: ([, value, minimum]) =>
    `Only bookings worth at least $${usd(minimum)} can be rated (this one is worth $${usd(value)}).`,
  ReputationInvalidMinValue: () => "The minimum value must be between $0.0001 and $1,000.",
  RewardsInvalidRewardPerFee: () => "Rewards may be worth at most 100 % of the fees paid.",
  EscrowNothingToWithdraw: () => "There is nothing to withdraw yet.",
  EscrowNothingToClaim: () => "There is nothing to claim.",
  EscrowStreamEnded: ([, endsAt]) =>
    `The booking already ran to its end (${time(endsAt)}): complete it instead of terminating.`,
  EscrowNotProvider: () => "Only the booking's provider can withdraw its earnings.",
  EscrowBondLocked: ([availableAt]) => `The bond is still unbonding until ${time(availableAt)}.`,
  EscrowInsufficientBond: () => "The bond holds less than that amount.",
  EscrowZeroAmount: () => "Enter an amount above zero.",
  EscrowAmountTooLarge: () => "That amount is larger than the escrow can hold.",
  EscrowValueMismatch: () => "The ETH sent does not match the amount.",
  EscrowUnsupportedToken: () => "This token cannot be used for bonds.",
  EscrowInvalidState: ([id]) => `Booking #${id}'s payment is not in a state that allows this.`,
  PriceOracleStalePrice: () => "The token's price feed is stale; payments in it are paused until it updates.",
  PriceOracleAnswerOutOfBounds: () =>
    "The token's price feed answers at the edge of its allowed range, where it cannot be trusted; payments in it are paused until it recovers.",
  PriceOracleUnsupportedToken: () => "This token has no price feed.",
  PriceOracleSequencerDown: () => "The network's sequencer is down; try again shortly.",
  PriceOracleSequencerGracePeriod: () => "The network's sequencer restarted moments ago; try again shortly.",
  RewardsNothingToClaim: () => "No rewards to claim yet.",
  GovernorInsufficientProposerVotes: ([, votes, threshold]) =>
    `Proposing needs ${formatUnits(BigInt(threshold as bigint), 18)} DCX of voting power (you have ${formatUnits(BigInt(votes as bigint), 18)}). Delegate to yourself first.`,
  GovernorAlreadyCastVote: () => "You have already voted on this proposal.",
  GovernorUnexpectedProposalState: ([, current, expected]) => {
    // `expected` is a bitmap of states, encoded as bytes32.
    const allowed = expectedStates(BigInt(expected as string));
    return allowed.length
      ? `The proposal is ${stateName(Number(current))?.toLowerCase() ?? "in another state"}; this is only possible once it is ${allowed.join(" or ").toLowerCase()}.`
      : "A proposal with the same actions and description already exists.";
  },
  GovernorNonexistentProposal: () => "That proposal does not exist.",
  GovernorInvalidProposalLength: () =>
    "A proposal needs at least one action, each with a target, a value and call data.",
  GovernorInvalidVoteType: () => "Vote for, against or abstain.",
  GovernorRestrictedProposer: () => "This description reserves the proposal for another proposer.",
  GovernorOnlyExecutor: () => "Only the DAO's timelock can do that: make it a proposal.",
  TimelockUnexpectedOperationState: () => "The timelock delay has not passed yet.",
  EscrowInvalidSettings: () =>
    "The escrow rejected these settings: the fee is above its maximum or a setting fixed at deployment changed.",
  SlaInvalidCreditPolicy: () =>
    "The credit policy is not valid: credits up to 100 %, at most 8 tiers, thresholds falling and credits rising.",
  QuorumInvalid: ([quorum, signers]) => `A quorum of ${quorum} is not possible with ${signers} signer(s).`,
  QuorumSignerExists: ([signer]) => `${shortenAddress(String(signer))} is already a signer.`,
  QuorumSignerMissing: ([signer]) => `${shortenAddress(String(signer))} is not a signer.`,
  PriceOracleInvalidFeed: () => "That price feed does not answer like a Chainlink USD feed.",
  PriceOracleInvalidHeartbeat: () => "The heartbeat is out of range.",
  PriceOracleInvalidToken: () => "That token cannot be a payment token.",
  PriceOracleTooManyTokens: () => "The oracle already has the maximum number of payment tokens.",
  ERC1967InvalidImplementation: ([implementation]) =>
    `${shortenAddress(String(implementation))} is not a contract that can be an implementation.`,
  UUPSUnsupportedProxiableUUID: () => "The new implementation is not a compatible (UUPS) implementation.",
  ERC20InsufficientBalance: () => "Your token balance is too small for this payment.",
  ERC20InsufficientAllowance: () => "The token allowance is too small; approve first.",
  ERC2612ExpiredSignature: () => "The permit signature expired; try again.",
  ERC2612InvalidSigner: () => "The permit signature is not valid.",
  AccessControlUnauthorizedAccount: ([account]) =>
    `${shortenAddress(String(account))} is not allowed to do that (governed by the DAO).`,
};

function describeCustom(name: string, args: Args): string {
  const phrase = messages[name];
  if (phrase) return phrase(args);
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  const shown = args.map((arg) =>
    typeof arg === "string" && arg.startsWith("0x") ? shortenAddress(arg) : String(arg),
  );
  return `Transaction rejected: ${words}${shown.length ? ` (${shown.join(", ")})` : ""}.`;
}

/** Decodes revert data against every D-CloudX error. */
export function decodeRevertData(data: Hex): { name: string; args: Args } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: errorsAbi, data });
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
  if (decoded) return { cancelled: false, name: decoded.name, message: describeCustom(decoded.name, decoded.args) };
  if (reverted?.reason) return { cancelled: false, message: `Transaction rejected: ${reverted.reason}` };
  if (error.walk((cause) => (cause as Error).name === "InsufficientFundsError")) {
    return { cancelled: false, message: "Not enough ETH to pay for this transaction and its gas." };
  }
  if (error.walk((cause) => ["HttpRequestError", "TimeoutError"].includes((cause as Error).name))) {
    return {
      cancelled: false,
      message: "The chain's RPC endpoint is unreachable. Check your connection and try again.",
    };
  }
  return { cancelled: false, message: error.shortMessage || error.message };
}
