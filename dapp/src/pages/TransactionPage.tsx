/** A transaction as the chain has it: for networks without a block explorer (the local chain). */
import * as abis from "@d-cloudx/sdk/abis";
import { useParams } from "react-router";
import { type Abi, type Hash, type Log, decodeEventLog, isHash } from "viem";
import { useTransaction, useTransactionReceipt } from "wagmi";

import { Address } from "../components/Address.tsx";
import { Page } from "../components/Layout.tsx";
import { ErrorState, Skeleton } from "../components/States.tsx";

const eventsAbi: Abi = Object.values(abis).flatMap((abi) => (abi as Abi).filter((item) => item.type === "event"));

function describeLog(log: Log): { name: string; args: string } {
  try {
    const decoded = decodeEventLog({ abi: eventsAbi, data: log.data, topics: log.topics });
    const args = Object.entries((decoded.args ?? {}) as Record<string, unknown>)
      .map(
        ([key, value]) =>
          `${key}: ${typeof value === "object" ? JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)) : String(value)}`,
      )
      .join(", ");
    return { name: decoded.eventName ?? "event", args };
  } catch {
    return { name: "Unknown event", args: log.topics[0] ?? "" };
  }
}

export default function TransactionPage() {
  const { hash } = useParams();
  const valid = hash !== undefined && isHash(hash);
  const transaction = useTransaction({ hash: hash as Hash, query: { enabled: valid } });
  const receipt = useTransactionReceipt({ hash: hash as Hash, query: { enabled: valid } });

  if (!valid) return <ErrorState title="That is not a transaction hash." />;
  const error = transaction.error ?? receipt.error;
  return (
    <Page title="Transaction">
      <p className="font-mono text-sm break-all text-slate-300">{hash}</p>
      {error ? (
        <ErrorState
          title="The chain does not know this transaction (yet)."
          error={error}
          retry={() => receipt.refetch()}
        />
      ) : !receipt.data || !transaction.data ? (
        <div className="card space-y-2" role="status" aria-label="Loading">
          <Skeleton className="h-4 w-1/3" />
          <Skeleton className="h-4 w-1/2" />
        </div>
      ) : (
        <div className="card space-y-4">
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-400">Status</dt>
            <dd className={receipt.data.status === "success" ? "text-emerald-300" : "text-rose-300"}>
              {receipt.data.status === "success" ? "Confirmed" : "Reverted"}
            </dd>
            <dt className="text-slate-400">Block</dt>
            <dd>{receipt.data.blockNumber.toString()}</dd>
            <dt className="text-slate-400">From</dt>
            <dd>
              <Address address={transaction.data.from} />
            </dd>
            <dt className="text-slate-400">To</dt>
            <dd>{transaction.data.to ? <Address address={transaction.data.to} /> : "contract creation"}</dd>
            <dt className="text-slate-400">Gas used</dt>
            <dd>{receipt.data.gasUsed.toLocaleString("en-US")}</dd>
          </dl>
          <div>
            <h2 className="mb-2 font-medium">Events</h2>
            <ol className="space-y-2 text-sm">
              {receipt.data.logs.map((log) => {
                const { name, args } = describeLog(log);
                return (
                  <li key={log.logIndex} className="rounded bg-slate-950 p-2">
                    <span className="font-medium">{name}</span>
                    <span className="block font-mono text-xs break-all text-slate-400">{args}</span>
                  </li>
                );
              })}
            </ol>
          </div>
        </div>
      )}
    </Page>
  );
}
