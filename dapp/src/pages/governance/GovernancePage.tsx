import { useQuery } from "@apollo/client/react";
import { type FormEvent, type ReactNode, useState } from "react";
import { Link } from "react-router";
import { type Address, getAddress, isAddress, zeroAddress } from "viem";
import { useAccount, useReadContracts } from "wagmi";

import { Address as AddressText } from "../../components/Address.tsx";
import { Page } from "../../components/Layout.tsx";
import { EmptyState, ErrorState, LoadingCards, Skeleton, SubgraphError } from "../../components/States.tsx";
import {
  daoGovernanceAbi,
  daoGovernanceAddress,
  simulateDcxTokenDelegate,
  useReadDaoGovernanceProposalThreshold,
  useReadDcxTokenBalanceOf,
  useReadDcxTokenDelegates,
  useReadDcxTokenGetVotes,
} from "../../generated/contracts.ts";
import { formatDate, formatRelative } from "../../lib/format.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { useNow } from "../../lib/useNow.ts";
import { chain, wagmiConfig } from "../../wagmi.ts";
import { splitDescription } from "./actions.ts";
import { StateBadge, Tallies, dcx } from "./components.tsx";
import { NEXT_BLOCK, computeState, stateName, tally } from "./proposalState.ts";
import { PROPOSALS_PER_PAGE, ProposalsQuery } from "./queries.ts";

const governor = {
  address: daoGovernanceAddress[chain.id as keyof typeof daoGovernanceAddress],
  abi: daoGovernanceAbi,
};

export default function GovernancePage() {
  return (
    <Page
      title="Governance"
      actions={
        <Link to="/governance/new" className="btn">
          New proposal
        </Link>
      }
    >
      <p className="max-w-3xl text-sm text-slate-400">
        DCX holders decide the protocol's parameters and upgrades. Votes come from delegated DCX: delegate to yourself
        to vote with your own balance. Passed proposals wait in the timelock before they run.
      </p>
      <VotingPower />
      <ProposalList />
    </Page>
  );
}

function VotingPower() {
  const { address: account } = useAccount();
  const args = account ? ([account] as const) : undefined;
  const balance = useReadDcxTokenBalanceOf({ args, query: { enabled: Boolean(account) } });
  const votes = useReadDcxTokenGetVotes({ args, query: { enabled: Boolean(account) } });
  const delegate = useReadDcxTokenDelegates({ args, query: { enabled: Boolean(account) } });
  const threshold = useReadDaoGovernanceProposalThreshold();
  const tx = useTransaction("Delegate votes");
  const [target, setTarget] = useState("");
  const [invalid, setInvalid] = useState<string>();

  const delegateTo = async (to: Address) => {
    if (!account) return;
    const receipt = await tx.send(() => simulateDcxTokenDelegate(wagmiConfig, { args: [to], account }));
    if (receipt) await Promise.all([votes.refetch(), delegate.refetch()]);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!isAddress(target.trim(), { strict: false })) {
      setInvalid("Enter a valid address (0x…).");
      return;
    }
    setInvalid(undefined);
    void delegateTo(getAddress(target.trim()));
  };

  if (!account) {
    return (
      <div className="card">
        <h2 className="text-lg font-semibold">Your votes</h2>
        <p className="mt-1 text-sm text-slate-400">
          Connect a wallet to see your DCX, your voting power and your delegate.
          {threshold.data !== undefined ? ` Proposing needs ${dcx(threshold.data)} of voting power.` : ""}
        </p>
      </div>
    );
  }
  const readError = balance.error ?? votes.error ?? delegate.error;
  const current = delegate.data;
  const selfDelegated = current && current.toLowerCase() === account.toLowerCase();
  return (
    <div className="card space-y-4">
      <h2 className="text-lg font-semibold">Your votes</h2>
      {readError ? (
        <ErrorState title="The chain is unreachable: your DCX cannot be read." error={readError} />
      ) : (
        <dl className="grid gap-4 sm:grid-cols-4">
          <Stat label="DCX balance" value={balance.data === undefined ? undefined : dcx(balance.data)} />
          <Stat label="Voting power" value={votes.data === undefined ? undefined : dcx(votes.data)} />
          <Stat
            label="Delegate"
            value={
              current === undefined ? undefined : current === zeroAddress ? (
                "nobody (your DCX do not vote)"
              ) : selfDelegated ? (
                "yourself"
              ) : (
                <AddressText address={current} />
              )
            }
          />
          <Stat
            label="Needed to propose"
            value={
              threshold.data === undefined ? undefined : (
                <>
                  {dcx(threshold.data)}
                  {votes.data !== undefined ? (
                    <span
                      className={`block text-xs ${votes.data >= threshold.data ? "text-emerald-300" : "text-amber-300"}`}
                    >
                      {votes.data >= threshold.data ? "you can propose" : "you cannot propose yet"}
                    </span>
                  ) : null}
                </>
              )
            }
          />
        </dl>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <button
          type="button"
          className="btn"
          disabled={tx.busy || Boolean(selfDelegated)}
          onClick={() => void delegateTo(account)}
        >
          Delegate to myself
        </button>
        <form className="flex flex-1 flex-wrap items-end gap-2" onSubmit={submit} noValidate>
          <div className="min-w-0 flex-1">
            <label htmlFor="delegate-to" className="label">
              Or delegate to an address
            </label>
            <input
              id="delegate-to"
              className="field w-full font-mono"
              placeholder="0x…"
              value={target}
              onChange={(event) => setTarget(event.target.value)}
              aria-invalid={invalid ? true : undefined}
              aria-describedby={invalid ? "delegate-error" : undefined}
              autoComplete="off"
              spellCheck={false}
            />
          </div>
          <button type="submit" className="btn btn-secondary" disabled={tx.busy}>
            Delegate
          </button>
        </form>
      </div>
      {invalid ? (
        <p id="delegate-error" role="alert" className="text-sm text-rose-300">
          {invalid}
        </p>
      ) : null}
      <TxStatus state={tx.state} />
    </div>
  );
}

function Stat({ label, value }: { label: string; value: ReactNode | undefined }) {
  return (
    <div>
      <dt className="text-xs text-slate-400">{label}</dt>
      <dd className="mt-1 font-medium">{value === undefined ? <Skeleton className="h-5 w-24" /> : value}</dd>
    </div>
  );
}

function ProposalList() {
  const [page, setPage] = useState(0);
  const now = useNow();
  // One extra row tells whether a next page exists.
  const { data, loading, error, refetch } = useQuery(ProposalsQuery, {
    variables: { first: PROPOSALS_PER_PAGE + 1, skip: page * PROPOSALS_PER_PAGE },
  });
  const rows = data?.proposals.slice(0, PROPOSALS_PER_PAGE) ?? [];
  const chainReads = useReadContracts({
    contracts: rows.flatMap((proposal) => [
      { ...governor, functionName: "state", args: [BigInt(proposal.id)] } as const,
      { ...governor, functionName: "quorum", args: [BigInt(proposal.voteStart)] } as const,
    ]),
    blockTag: NEXT_BLOCK,
    query: { enabled: rows.length > 0, refetchInterval: 5_000 },
  });

  return (
    <section aria-labelledby="proposals-title" className="space-y-3">
      <h2 id="proposals-title" className="text-lg font-semibold">
        Proposals
      </h2>
      {error ? (
        <SubgraphError error={error} retry={() => void refetch()} />
      ) : loading && !data ? (
        <LoadingCards count={3} />
      ) : rows.length === 0 ? (
        <EmptyState title={page === 0 ? "No proposals yet." : "No more proposals."}>
          {page === 0 ? (
            <Link to="/governance/new">Create the first one from a template.</Link>
          ) : (
            <button type="button" className="underline" onClick={() => setPage(0)}>
              Back to the newest
            </button>
          )}
        </EmptyState>
      ) : (
        <ul className="space-y-3">
          {rows.map((proposal, index) => {
            const onChainState = chainReads.data?.[index * 2];
            const onChainQuorum = chainReads.data?.[index * 2 + 1];
            const quorum = onChainQuorum?.status === "success" ? (onChainQuorum.result as bigint) : undefined;
            const state =
              (onChainState?.status === "success" ? stateName(Number(onChainState.result)) : undefined) ??
              computeState(proposal, now, quorum);
            const votingOpen = now <= Number(proposal.voteEnd);
            return (
              <li key={proposal.id} className="card space-y-3">
                <div className="flex flex-wrap items-start justify-between gap-2">
                  <h3 className="min-w-0 font-medium break-words">
                    <Link to={`/governance/${proposal.id}`}>{splitDescription(proposal.description).title}</Link>
                  </h3>
                  <StateBadge state={state} />
                </div>
                <p className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-400">
                  <span>
                    by <AddressText address={proposal.proposer.id} />
                  </span>
                  <span title={formatDate(proposal.createdAt)}>proposed {formatRelative(proposal.createdAt, now)}</span>
                  <span title={formatDate(proposal.voteEnd)}>
                    {now < Number(proposal.voteStart)
                      ? `voting opens ${formatRelative(proposal.voteStart, now)}`
                      : votingOpen
                        ? `voting closes ${formatRelative(proposal.voteEnd, now)}`
                        : `voting closed ${formatRelative(proposal.voteEnd, now)}`}
                  </span>
                  <span>
                    {proposal.voteCount} vote{proposal.voteCount === 1 ? "" : "s"}
                  </span>
                </p>
                <Tallies votes={tally(proposal)} quorum={quorum} />
              </li>
            );
          })}
        </ul>
      )}
      {page > 0 || (data?.proposals.length ?? 0) > PROPOSALS_PER_PAGE ? (
        <nav aria-label="Proposal pages" className="flex justify-between">
          <button type="button" className="btn btn-secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={(data?.proposals.length ?? 0) <= PROPOSALS_PER_PAGE}
            onClick={() => setPage(page + 1)}
          >
            Older
          </button>
        </nav>
      ) : null}
    </section>
  );
}
