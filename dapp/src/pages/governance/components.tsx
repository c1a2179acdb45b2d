/** Pieces the governance pages share: state badges, vote tallies and decoded actions. */
import { Address as AddressText } from "../../components/Address.tsx";
import { formatToken } from "../../lib/format.ts";
import type { DecodedAction } from "./actions.ts";
import { type ProposalStateName, type Tally, percentOf } from "./proposalState.ts";

const STATE_TONES: Record<ProposalStateName, string> = {
  Pending: "bg-slate-700 text-slate-100",
  Active: "bg-sky-900 text-sky-100",
  Canceled: "bg-slate-800 text-slate-400",
  Defeated: "bg-rose-950 text-rose-200",
  Succeeded: "bg-emerald-900 text-emerald-100",
  Queued: "bg-amber-900 text-amber-100",
  Expired: "bg-slate-800 text-slate-400",
  Executed: "bg-violet-900 text-violet-100",
};

export function StateBadge({ state }: { state: ProposalStateName | undefined }) {
  return (
    <span
      className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium ${state ? STATE_TONES[state] : "bg-slate-800 text-slate-400"}`}
      data-proposal-state={state ?? "unknown"}
    >
      {state ?? "…"}
    </span>
  );
}

export const dcx = (amount: bigint) => formatToken(amount, 18, "DCX", 2);

function Bar({ label, value, total, tone }: { label: string; value: bigint; total: bigint; tone: string }) {
  const percent = percentOf(value, total);
  return (
    <div>
      <div className="flex justify-between gap-2 text-xs">
        <span>{label}</span>
        <span className="text-slate-400">
          {dcx(value)} · {percent} %
        </span>
      </div>
      <div
        className="mt-1 h-2 rounded bg-slate-800"
        role="meter"
        aria-label={`${label} votes`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div className={`h-2 rounded ${tone}`} style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

/** For/against/abstain as shares of the votes cast, and the quorum (for + abstain) reached so far. */
export function Tallies({ votes, quorum }: { votes: Tally; quorum: bigint | undefined }) {
  return (
    <div className="space-y-2">
      <Bar label="For" value={votes.for} total={votes.total} tone="bg-emerald-500" />
      <Bar label="Against" value={votes.against} total={votes.total} tone="bg-rose-500" />
      <Bar label="Abstain" value={votes.abstain} total={votes.total} tone="bg-slate-400" />
      {quorum === undefined ? (
        <p className="text-xs text-slate-400">Quorum is fixed when voting opens.</p>
      ) : (
        <Bar
          label={`Quorum (${dcx(quorum)})${votes.quorumVotes >= quorum ? " reached" : ""}`}
          value={votes.quorumVotes}
          total={quorum}
          tone="bg-sky-500"
        />
      )}
    </div>
  );
}

/** A proposal's calls: the contract by name, the function and its decoded arguments, or raw data. */
export function ActionList({ actions }: { actions: DecodedAction[] }) {
  return (
    <ol className="space-y-3">
      {actions.map((action, index) => (
        <li key={index} className="rounded-md border border-slate-800 p-3 text-sm">
          <p className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <span className="text-slate-400">{index + 1}.</span>
            <span className="font-medium">{action.contractName ?? "Unknown contract"}</span>
            <AddressText address={action.target} className="text-xs text-slate-400" />
            {action.value > 0n ? <span className="text-xs">sends {formatToken(action.value, 18, "ETH")}</span> : null}
          </p>
          {action.functionName ? (
            <>
              <p className="mt-1 font-mono break-all">{action.functionName}</p>
              {action.args?.length ? (
                <dl className="mt-1 grid gap-x-3 gap-y-1 font-mono text-xs sm:grid-cols-[max-content_1fr]">
                  {action.args.map((arg) => (
                    <div key={arg.name} className="contents">
                      <dt className="text-slate-400">
                        {arg.name} <span className="text-slate-500">{arg.type}</span>
                      </dt>
                      <dd className="break-all">{arg.value}</dd>
                    </div>
                  ))}
                </dl>
              ) : null}
            </>
          ) : (
            <p className="mt-1 font-mono text-xs break-all text-slate-400">{action.calldata}</p>
          )}
        </li>
      ))}
    </ol>
  );
}
