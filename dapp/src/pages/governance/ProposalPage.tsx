import { useQuery } from "@apollo/client/react";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import type { Address, Hex } from "viem";
import { useAccount } from "wagmi";

import { Address as AddressText } from "../../components/Address.tsx";
import { Page } from "../../components/Layout.tsx";
import { EmptyState, ErrorState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import { config } from "../../config.ts";
import {
  simulateDaoGovernanceCastVoteWithReason,
  simulateDaoGovernanceExecute,
  simulateDaoGovernanceQueue,
  useReadDaoGovernanceGetVotes,
  useReadDaoGovernanceHasVoted,
  useReadDaoGovernanceProposalEta,
  useReadDaoGovernanceQuorum,
  useReadDaoGovernanceState,
} from "../../generated/contracts.ts";
import type { GovernanceProposalQuery } from "../../generated/gql/graphql.ts";
import { formatDate, formatRelative } from "../../lib/format.ts";
import { type Simulate, TxStatus, useTransaction } from "../../lib/tx.tsx";
import { useNow } from "../../lib/useNow.ts";
import { wagmiConfig } from "../../wagmi.ts";
import { decodeAction, descriptionHash, knownContracts, splitDescription } from "./actions.ts";
import { ActionList, StateBadge, Tallies, dcx } from "./components.tsx";
import { NEXT_BLOCK, type ProposalStateName, computeState, stateName, tally } from "./proposalState.ts";
import { ProposalQuery } from "./queries.ts";

const SUPPORT = [
  { value: 1, label: "For", key: "FOR" },
  { value: 0, label: "Against", key: "AGAINST" },
  { value: 2, label: "Abstain", key: "ABSTAIN" },
] as const;

export default function ProposalPage() {
  const { id = "" } = useParams();
  if (!/^\d{1,80}$/.test(id)) {
    return (
      <Page title="Proposal">
        <EmptyState title="That is not a proposal id.">
          <Link to="/governance">All proposals</Link>
        </EmptyState>
      </Page>
    );
  }
  return <Proposal id={id} />;
}

function Proposal({ id }: { id: string }) {
  const now = useNow();
  const { data, loading, error, refetch } = useQuery(ProposalQuery, { variables: { id } });
  const proposal = data?.proposal;
  const proposalId = BigInt(id);
  const started = proposal ? now > Number(proposal.voteStart) : false;
  const chainState = useReadDaoGovernanceState({
    blockTag: NEXT_BLOCK,
    args: [proposalId],
    query: { enabled: Boolean(proposal), refetchInterval: 3_000 },
  });
  const quorum = useReadDaoGovernanceQuorum({
    blockTag: NEXT_BLOCK,
    args: proposal ? [BigInt(proposal.voteStart)] : undefined,
    query: { enabled: started },
  });
  const eta = useReadDaoGovernanceProposalEta({ args: [proposalId], query: { enabled: Boolean(proposal) } });

  const contracts = useMemo(() => (config.deployment ? knownContracts(config.deployment) : []), []);
  const actions = useMemo(
    () =>
      proposal
        ? proposal.targets.map((target, index) =>
            decodeAction(contracts, {
              target: target as Address,
              value: BigInt(proposal.values[index] ?? "0"),
              calldata: (proposal.calldatas[index] ?? "0x") as Hex,
            }),
          )
        : [],
    [contracts, proposal],
  );

  if (error) {
    return (
      <Page title="Proposal">
        <SubgraphError error={error} retry={() => void refetch()} />
      </Page>
    );
  }
  if (loading && !data) {
    return (
      <Page title="Proposal">
        <LoadingCards count={2} />
      </Page>
    );
  }
  if (!proposal) {
    return (
      <Page title="Proposal">
        <EmptyState title={`Proposal ${id.slice(0, 12)}… is not in the index.`}>
          A proposal made moments ago appears once the subgraph has indexed it.{" "}
          <Link to="/governance">All proposals</Link>
        </EmptyState>
      </Page>
    );
  }

  const { title, body } = splitDescription(proposal.description);
  const votes = tally(proposal);
  const state =
    (chainState.data !== undefined ? stateName(chainState.data) : undefined) ??
    computeState(proposal, now, quorum.data);
  const executableAt = eta.data ? Number(eta.data) : proposal.eta ? Number(proposal.eta) : undefined;

  return (
    <Page title={title} actions={<StateBadge state={state} />}>
      <p className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-400">
        <span>
          Proposed by <AddressText address={proposal.proposer.id} />
        </span>
        <span className="font-mono break-all" title={id}>
          #{id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id}
        </span>
        <Link to="/governance">All proposals</Link>
      </p>
      {chainState.error ? (
        <ErrorState
          title="The chain is unreachable: the state shown is derived from the index."
          error={chainState.error}
        />
      ) : null}
      <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
        <div className="min-w-0 space-y-6">
          <section aria-labelledby="description-title" className="card space-y-2">
            <h2 id="description-title" className="text-lg font-semibold">
              Description
            </h2>
            <p className="text-sm whitespace-pre-wrap break-words text-slate-300">{body || "No description."}</p>
          </section>
          <section aria-labelledby="actions-title" className="card space-y-3">
            <h2 id="actions-title" className="text-lg font-semibold">
              Actions
            </h2>
            <p className="text-sm text-slate-400">Calls the timelock makes, in order, if the proposal passes.</p>
            <ActionList actions={actions} />
          </section>
          <VoterList votes={proposal.votes} />
        </div>
        <div className="space-y-6">
          <section aria-labelledby="results-title" className="card space-y-3">
            <h2 id="results-title" className="text-lg font-semibold">
              Results
            </h2>
            <Tallies votes={votes} quorum={quorum.data} />
          </section>
          <VotePanel proposalId={proposalId} voteStart={proposal.voteStart} state={state} votes={proposal.votes} />
          <ExecutionPanel
            state={state}
            now={now}
            executableAt={executableAt}
            call={() => ({
              targets: proposal.targets as Address[],
              values: proposal.values.map(BigInt),
              calldatas: proposal.calldatas as Hex[],
              descriptionHash: descriptionHash(proposal.description),
            })}
            refetch={() => void Promise.all([chainState.refetch(), eta.refetch()])}
          />
          <Timeline
            now={now}
            steps={[
              { label: "Proposed", at: proposal.createdAt },
              { label: "Voting opens", at: proposal.voteStart },
              { label: "Voting closes", at: proposal.voteEnd },
              { label: "Queued", at: proposal.queuedAt },
              { label: "Executable", at: executableAt },
              { label: "Executed", at: proposal.executedAt },
              { label: "Canceled", at: proposal.canceledAt },
            ]}
          />
        </div>
      </div>
    </Page>
  );
}

type VoteRow = NonNullable<GovernanceProposalQuery["proposal"]>["votes"][number];

function VotePanel({
  proposalId,
  voteStart,
  state,
  votes,
}: {
  proposalId: bigint;
  voteStart: string;
  state: ProposalStateName | undefined;
  votes: VoteRow[];
}) {
  const { address: account } = useAccount();
  const [support, setSupport] = useState<number>(1);
  const [reason, setReason] = useState("");
  const tx = useTransaction("Vote");
  const hasVoted = useReadDaoGovernanceHasVoted({
    args: account ? [proposalId, account] : undefined,
    query: { enabled: Boolean(account) },
  });
  const weight = useReadDaoGovernanceGetVotes({
    blockTag: NEXT_BLOCK,
    args: account ? [account, BigInt(voteStart)] : undefined,
    query: { enabled: Boolean(account) && state !== "Pending" },
  });
  const mine = account ? votes.find((vote) => vote.voter.id.toLowerCase() === account.toLowerCase()) : undefined;

  const vote = async () => {
    if (!account) return;
    const receipt = await tx.send(() =>
      simulateDaoGovernanceCastVoteWithReason(wagmiConfig, {
        blockTag: NEXT_BLOCK,
        args: [proposalId, support, reason.trim()],
        account,
      }),
    );
    if (receipt) await hasVoted.refetch();
  };

  return (
    <section aria-labelledby="vote-title" className="card space-y-3">
      <h2 id="vote-title" className="text-lg font-semibold">
        Your vote
      </h2>
      {!account ? (
        <p className="text-sm text-slate-400">Connect a wallet to vote.</p>
      ) : mine ? (
        <p className="text-sm" data-my-vote={mine.support}>
          You voted <strong>{SUPPORT.find((option) => option.key === mine.support)?.label}</strong> with{" "}
          {dcx(BigInt(mine.weight))}
          {mine.reason ? <span className="block break-words text-slate-400">“{mine.reason}”</span> : null}
        </p>
      ) : hasVoted.data ? (
        <p className="text-sm">You have voted (indexing…).</p>
      ) : state === "Pending" ? (
        <p className="text-sm text-slate-400">Voting has not opened yet.</p>
      ) : state !== "Active" ? (
        <p className="text-sm text-slate-400">Voting is closed.</p>
      ) : (
        <form
          className="space-y-3"
          onSubmit={(event) => {
            event.preventDefault();
            void vote();
          }}
        >
          <p className="text-sm text-slate-400">
            Your voting power for this proposal (at the vote start):{" "}
            {weight.data === undefined ? "…" : <strong className="text-slate-100">{dcx(weight.data)}</strong>}
          </p>
          {weight.data === 0n ? (
            <p className="text-sm text-amber-300">
              You had no delegated votes when voting opened, so your vote would carry no weight.
            </p>
          ) : null}
          <fieldset className="flex flex-wrap gap-3">
            <legend className="label">Support</legend>
            {SUPPORT.map((option) => (
              <label key={option.value} className="flex items-center gap-1 text-sm">
                <input
                  type="radio"
                  name="support"
                  value={option.value}
                  checked={support === option.value}
                  onChange={() => setSupport(option.value)}
                />
                {option.label}
              </label>
            ))}
          </fieldset>
          <div>
            <label htmlFor="vote-reason" className="label">
              Reason (optional)
            </label>
            <textarea
              id="vote-reason"
              className="field w-full"
              rows={3}
              maxLength={2000}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
            />
          </div>
          <button type="submit" className="btn w-full" disabled={tx.busy}>
            Cast vote
          </button>
        </form>
      )}
      <TxStatus state={tx.state} />
    </section>
  );
}

function ExecutionPanel({
  state,
  now,
  executableAt,
  call,
  refetch,
}: {
  state: ProposalStateName | undefined;
  now: number;
  executableAt: number | undefined;
  call: () => { targets: Address[]; values: bigint[]; calldatas: Hex[]; descriptionHash: Hex };
  refetch: () => void;
}) {
  const { address: account } = useAccount();
  const queueTx = useTransaction("Queue proposal");
  const executeTx = useTransaction("Execute proposal");
  if (state !== "Succeeded" && state !== "Queued" && state !== "Executed") return null;

  type Args = readonly [Address[], bigint[], Hex[], Hex];
  const submit = async (
    tx: ReturnType<typeof useTransaction>,
    simulate: (args: Args, account: Address) => ReturnType<Simulate>,
  ) => {
    if (!account) return;
    const { targets, values, calldatas, descriptionHash } = call();
    const receipt = await tx.send(() => simulate([targets, values, calldatas, descriptionHash], account));
    if (receipt) refetch();
  };
  const waiting = executableAt !== undefined && now < executableAt;

  return (
    <section aria-labelledby="execution-title" className="card space-y-3">
      <h2 id="execution-title" className="text-lg font-semibold">
        Execution
      </h2>
      {state === "Succeeded" ? (
        <>
          <p className="text-sm text-slate-400">
            The proposal passed. Queue it in the timelock; it can run once the timelock delay has passed.
          </p>
          <button
            type="button"
            className="btn w-full"
            disabled={!account || queueTx.busy}
            onClick={() =>
              void submit(queueTx, (args, from) =>
                simulateDaoGovernanceQueue(wagmiConfig, { args, account: from, blockTag: NEXT_BLOCK }),
              )
            }
          >
            Queue
          </button>
        </>
      ) : state === "Queued" ? (
        <>
          <p className="text-sm text-slate-400">
            {executableAt === undefined
              ? "Queued in the timelock."
              : waiting
                ? `Queued: executable ${formatRelative(executableAt, now)} (${formatDate(executableAt)}).`
                : "The timelock delay has passed: anyone can execute it."}
          </p>
          <button
            type="button"
            className="btn w-full"
            disabled={!account || waiting || executeTx.busy}
            onClick={() =>
              void submit(executeTx, (args, from) =>
                simulateDaoGovernanceExecute(wagmiConfig, { args, account: from, blockTag: NEXT_BLOCK }),
              )
            }
          >
            Execute
          </button>
        </>
      ) : (
        <p className="text-sm text-slate-400">Executed: the timelock has made the calls.</p>
      )}
      <TxStatus state={queueTx.state} />
      <TxStatus state={executeTx.state} />
      {!account && state !== "Executed" ? (
        <p className="text-xs text-slate-400">Connect a wallet to send the transaction.</p>
      ) : null}
    </section>
  );
}

function Timeline({ now, steps }: { now: number; steps: { label: string; at: string | number | null | undefined }[] }) {
  return (
    <section aria-labelledby="timeline-title" className="card space-y-3">
      <h2 id="timeline-title" className="text-lg font-semibold">
        Timeline
      </h2>
      <ol className="space-y-2 border-l border-slate-700 pl-4 text-sm">
        {steps
          .filter((step) => step.at !== null && step.at !== undefined)
          .map((step) => {
            const at = Number(step.at);
            const past = at <= now;
            return (
              <li key={step.label} className="relative">
                <span
                  aria-hidden="true"
                  className={`absolute top-1.5 -left-[1.3rem] h-2 w-2 rounded-full ${past ? "bg-emerald-400" : "bg-slate-600"}`}
                />
                <span className={past ? "" : "text-slate-400"}>{step.label}</span>{" "}
                <span className="text-xs text-slate-400" title={formatDate(at)}>
                  {formatRelative(at, now)}
                </span>
              </li>
            );
          })}
      </ol>
    </section>
  );
}

function VoterList({ votes }: { votes: VoteRow[] }) {
  return (
    <section aria-labelledby="voters-title" className="card space-y-3">
      <h2 id="voters-title" className="text-lg font-semibold">
        Votes
      </h2>
      {votes.length === 0 ? (
        <p className="text-sm text-slate-400">No votes yet.</p>
      ) : (
        <ul className="divide-y divide-slate-800 text-sm">
          {votes.map((vote) => (
            <li key={vote.id} className="flex flex-wrap items-baseline justify-between gap-2 py-2">
              <AddressText address={vote.voter.id} />
              <span>
                {SUPPORT.find((option) => option.key === vote.support)?.label} · {dcx(BigInt(vote.weight))}
              </span>
              {vote.reason ? <p className="w-full break-words text-slate-400">“{vote.reason}”</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
