import { Address } from "@graphprotocol/graph-ts";

import { DcxToken, DelegateChange } from "../generated/schema";
import { DelegateChanged, DelegateVotesChanged, Transfer } from "../generated/DCXToken/DCXToken";
import { ZERO } from "./common/constants";
import { getDcxAccount } from "./common/entities";
import { eventId } from "./common/ids";

const DCX_ID = "dcx";

function getToken(): DcxToken {
  let token = DcxToken.load(DCX_ID);
  if (token == null) {
    token = new DcxToken(DCX_ID);
    token.totalSupply = ZERO;
    token.holderCount = 0;
    token.votingPower = ZERO;
    token.delegateCount = 0;
  }
  return token;
}

export function handleTransfer(event: Transfer): void {
  const params = event.params;
  const token = getToken();
  if (params.from == Address.zero()) {
    token.totalSupply = token.totalSupply.plus(params.value);
  } else {
    // Saved before the recipient is loaded, which may be the same account.
    const from = getDcxAccount(params.from);
    from.balance = from.balance.minus(params.value);
    if (from.balance.isZero() && !params.value.isZero()) token.holderCount -= 1;
    from.save();
  }
  if (params.to == Address.zero()) {
    token.totalSupply = token.totalSupply.minus(params.value);
  } else {
    const to = getDcxAccount(params.to);
    if (to.balance.isZero() && !params.value.isZero()) token.holderCount += 1;
    to.balance = to.balance.plus(params.value);
    to.save();
  }
  token.save();
}

function addDelegators(address: Address, change: i32): void {
  const account = getDcxAccount(address);
  account.delegatorCount += change;
  account.save();
}

export function handleDelegateChanged(event: DelegateChanged): void {
  const params = event.params;
  // Each account is saved before the next is loaded: an account often delegates to itself.
  if (params.fromDelegate != Address.zero()) addDelegators(params.fromDelegate, -1);
  if (params.toDelegate != Address.zero()) addDelegators(params.toDelegate, 1);
  const delegator = getDcxAccount(params.delegator);
  delegator.delegate = params.toDelegate == Address.zero() ? null : params.toDelegate;
  delegator.save();

  const change = new DelegateChange(eventId(event));
  change.delegator = delegator.id;
  change.fromDelegate = params.fromDelegate;
  change.toDelegate = params.toDelegate;
  change.timestamp = event.block.timestamp;
  change.blockNumber = event.block.number;
  change.transactionHash = event.transaction.hash;
  change.save();
}

export function handleDelegateVotesChanged(event: DelegateVotesChanged): void {
  const params = event.params;
  const delegate = getDcxAccount(params.delegate);
  delegate.votingPower = params.newVotes;
  delegate.save();
  const token = getToken();
  token.votingPower = token.votingPower.plus(params.newVotes).minus(params.previousVotes);
  if (params.previousVotes.isZero() && !params.newVotes.isZero()) token.delegateCount += 1;
  if (!params.previousVotes.isZero() && params.newVotes.isZero()) token.delegateCount -= 1;
  token.save();
}
