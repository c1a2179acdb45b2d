import { BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import { Proposal, Vote } from "../generated/schema";
import {
  ProposalCanceled,
  ProposalCreated,
  ProposalExecuted,
  ProposalQueued,
  ProposalThresholdSet,
  QuorumNumeratorUpdated,
  TimelockChange,
  VoteCast,
  VoteCastWithParams,
  VotingDelaySet,
  VotingPeriodSet,
} from "../generated/DAOGovernance/DAOGovernance";
import { ZERO } from "./common/constants";
import { getDcxAccount, getProtocol } from "./common/entities";
import { eventId } from "./common/ids";

/** GovernorCountingSimple's support values, by index. */
const SUPPORT = ["AGAINST", "FOR", "ABSTAIN"];

export function handleProposalCreated(event: ProposalCreated): void {
  const params = event.params;
  const proposal = new Proposal(params.proposalId.toString());
  proposal.proposer = getDcxAccount(params.proposer).id;
  proposal.targets = changetype<Bytes[]>(params.targets);
  proposal.values = params.values;
  proposal.signatures = params.signatures;
  proposal.calldatas = params.calldatas;
  proposal.description = params.description;
  proposal.voteStart = params.voteStart;
  proposal.voteEnd = params.voteEnd;
  proposal.status = "CREATED";
  proposal.forVotes = ZERO;
  proposal.againstVotes = ZERO;
  proposal.abstainVotes = ZERO;
  proposal.voteCount = 0;
  proposal.createdAt = event.block.timestamp;
  proposal.transactionHash = event.transaction.hash;
  proposal.save();
}

/** The proposal an event is about, or null (with a warning) if the subgraph has not seen it. */
function loadProposal(id: BigInt, eventName: string): Proposal | null {
  const proposal = Proposal.load(id.toString());
  if (proposal == null) log.warning("{} for unknown proposal {}: ignored", [eventName, id.toString()]);
  return proposal;
}

function recordVote(
  event: ethereum.Event,
  voter: Bytes,
  proposalId: BigInt,
  support: i32,
  weight: BigInt,
  reason: string,
  params: Bytes | null,
): void {
  const proposal = loadProposal(proposalId, "VoteCast");
  if (proposal == null) return;
  if (support < 0 || support >= SUPPORT.length) {
    log.warning("Vote on proposal {} with unknown support {}: ignored", [proposal.id, support.toString()]);
    return;
  }
  if (support == 0) proposal.againstVotes = proposal.againstVotes.plus(weight);
  if (support == 1) proposal.forVotes = proposal.forVotes.plus(weight);
  if (support == 2) proposal.abstainVotes = proposal.abstainVotes.plus(weight);
  proposal.voteCount += 1;
  proposal.save();

  const vote = new Vote(eventId(event));
  vote.proposal = proposal.id;
  vote.voter = voter;
  vote.support = SUPPORT[support];
  vote.weight = weight;
  vote.reason = reason;
  vote.params = params;
  vote.timestamp = event.block.timestamp;
  vote.blockNumber = event.block.number;
  vote.transactionHash = event.transaction.hash;
  vote.save();
}

export function handleVoteCast(event: VoteCast): void {
  const params = event.params;
  const voter = getDcxAccount(params.voter).id;
  recordVote(event, voter, params.proposalId, params.support, params.weight, params.reason, null);
}

export function handleVoteCastWithParams(event: VoteCastWithParams): void {
  const params = event.params;
  const voter = getDcxAccount(params.voter).id;
  recordVote(event, voter, params.proposalId, params.support, params.weight, params.reason, params.params);
}

export function handleProposalQueued(event: ProposalQueued): void {
  const proposal = loadProposal(event.params.proposalId, "ProposalQueued");
  if (proposal == null) return;
  proposal.status = "QUEUED";
  proposal.queuedAt = event.block.timestamp;
  proposal.eta = event.params.etaSeconds;
  proposal.save();
}

export function handleProposalExecuted(event: ProposalExecuted): void {
  const proposal = loadProposal(event.params.proposalId, "ProposalExecuted");
  if (proposal == null) return;
  proposal.status = "EXECUTED";
  proposal.executedAt = event.block.timestamp;
  proposal.save();
}

export function handleProposalCanceled(event: ProposalCanceled): void {
  const proposal = loadProposal(event.params.proposalId, "ProposalCanceled");
  if (proposal == null) return;
  proposal.status = "CANCELED";
  proposal.canceledAt = event.block.timestamp;
  proposal.save();
}

export function handleVotingDelaySet(event: VotingDelaySet): void {
  const protocol = getProtocol();
  protocol.votingDelaySeconds = event.params.newVotingDelay;
  protocol.save();
}

export function handleVotingPeriodSet(event: VotingPeriodSet): void {
  const protocol = getProtocol();
  protocol.votingPeriodSeconds = event.params.newVotingPeriod;
  protocol.save();
}

export function handleProposalThresholdSet(event: ProposalThresholdSet): void {
  const protocol = getProtocol();
  protocol.proposalThreshold = event.params.newProposalThreshold;
  protocol.save();
}

export function handleQuorumNumeratorUpdated(event: QuorumNumeratorUpdated): void {
  const protocol = getProtocol();
  protocol.quorumPercent = event.params.newQuorumNumerator;
  protocol.save();
}

export function handleTimelockChange(event: TimelockChange): void {
  const protocol = getProtocol();
  protocol.timelock = event.params.newTimelock;
  protocol.save();
}
