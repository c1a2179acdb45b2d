/**
 * A proposal's state as the Governor defines it. The chain's `state(proposalId)` is authoritative;
 * `computeState` derives the same answer from the subgraph's record, the clock and the quorum, for
 * when the chain has not answered yet.
 */

/** IGovernor.ProposalState, in the contract's order. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

/**
 * Proposal state depends on the clock (DCX votes on timestamps). Reads and simulations at the
 * latest block see that block's time, which on a quiet chain (a local node mining on demand) can be
 * minutes old: a vote that opened would still read as pending. The pending block carries the
 * current time, which is also when a transaction sent now will run.
 */
export const NEXT_BLOCK = "pending" as const;

export type ProposalStateName = (typeof PROPOSAL_STATES)[number];

export function stateName(value: number): ProposalStateName | undefined {
  return PROPOSAL_STATES[value];
}

/** The states a `GovernorUnexpectedProposalState` bitmap allows, by name. */
export function expectedStates(bitmap: bigint): ProposalStateName[] {
  return PROPOSAL_STATES.filter((_, index) => (bitmap >> BigInt(index)) & 1n);
}

export interface ProposalRecord {
  status: "CREATED" | "QUEUED" | "EXECUTED" | "CANCELED";
  voteStart: string;
  voteEnd: string;
  forVotes: string;
  againstVotes: string;
  abstainVotes: string;
}

export interface Tally {
  for: bigint;
  against: bigint;
  abstain: bigint;
  total: bigint;
  /** Votes that count towards the quorum: for and abstain (GovernorCountingSimple). */
  quorumVotes: bigint;
}

export function tally(proposal: Pick<ProposalRecord, "forVotes" | "againstVotes" | "abstainVotes">): Tally {
  const forVotes = BigInt(proposal.forVotes);
  const against = BigInt(proposal.againstVotes);
  const abstain = BigInt(proposal.abstainVotes);
  return { for: forVotes, against, abstain, total: forVotes + against + abstain, quorumVotes: forVotes + abstain };
}

/**
 * Governor.state from the record: pending until the vote start has passed, active through the vote
 * end, then succeeded when the quorum is reached and more votes are for than against. Without a
 * known quorum a closed vote cannot be judged: undefined.
 */
export function computeState(proposal: ProposalRecord, now: number, quorum?: bigint): ProposalStateName | undefined {
  if (proposal.status === "EXECUTED") return "Executed";
  if (proposal.status === "CANCELED") return "Canceled";
  if (proposal.status === "QUEUED") return "Queued";
  if (now <= Number(proposal.voteStart)) return "Pending";
  if (now <= Number(proposal.voteEnd)) return "Active";
  if (quorum === undefined) return undefined;
  const votes = tally(proposal);
  return votes.quorumVotes >= quorum && votes.for > votes.against ? "Succeeded" : "Defeated";
}

/** Share of `part` in `whole` as a percentage (0–100), for bars. */
export function percentOf(part: bigint, whole: bigint): number {
  if (whole <= 0n) return 0;
  return Math.min(100, Number((part * 10_000n) / whole) / 100);
}
