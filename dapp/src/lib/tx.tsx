/**
 * The one path every write takes: simulate (reverts surface before the wallet opens) → awaiting
 * signature → pending (with a link) → confirmed once mined and indexed by the subgraph (then the
 * queries its events affect are refetched, lib/refresh.ts), or failed with a readable reason. A
 * rejected signature quietly returns to idle.
 */
import { useApolloClient } from "@apollo/client/react";
import { getAccount, switchChain, waitForTransactionReceipt, writeContract } from "@wagmi/core";
import { useCallback, useState } from "react";
import type { Hash, TransactionReceipt } from "viem";
import type { WriteContractParameters } from "wagmi/actions";

import { refetchAfter } from "./indexing.ts";
import { affectedQueries } from "./refresh.ts";
import { useToast } from "./toasts.tsx";
import { config } from "../config.ts";
import { chain, wagmiConfig } from "../wagmi.ts";

export type TxState =
  | { status: "idle" }
  | { status: "simulating" }
  | { status: "signing" }
  | { status: "pending"; hash: Hash }
  | { status: "indexing"; hash: Hash }
  | { status: "confirmed"; hash: Hash }
  | { status: "failed"; message: string; hash?: Hash };

/** What a simulation returns: the request the wallet signs (wagmi's generated `simulate…` actions). */
export type Simulate = () => Promise<{ request: unknown }>;

export function transactionUrl(hash: Hash): string {
  return config.explorerUrl ? `${config.explorerUrl}/tx/${hash}` : `#/tx/${hash}`;
}

export function useTransaction(label: string) {
  const apollo = useApolloClient();
  const notify = useToast();
  const [state, setState] = useState<TxState>({ status: "idle" });

  /** Runs one transaction; resolves to its receipt once confirmed, or undefined if cancelled or failed. */
  const send = useCallback(
    async (simulate: Simulate): Promise<TransactionReceipt | undefined> => {
      let hash: Hash | undefined;
      try {
        if (getAccount(wagmiConfig).chainId !== chain.id) await switchChain(wagmiConfig, { chainId: chain.id });
        setState({ status: "simulating" });
        const { request } = await simulate();
        setState({ status: "signing" });
        hash = await writeContract(wagmiConfig, request as WriteContractParameters);
        setState({ status: "pending", hash });
        const receipt = await waitForTransactionReceipt(wagmiConfig, { hash });
        if (receipt.status !== "success") throw new Error("The transaction was reverted on chain.");
        setState({ status: "indexing", hash });
        const { contractEvents } = await import("./chainEvents.ts");
        const queries = affectedQueries(contractEvents(receipt.logs), { bookingIds: new Set() }, true);
        await refetchAfter(apollo, receipt.blockNumber, queries);
        setState({ status: "confirmed", hash });
        notify({ tone: "success", title: `${label}: confirmed` });
        return receipt;
      } catch (error) {
        // The decoder carries every contract's ABI: load it only when a write fails.
        const { decodeError } = await import("./errors.ts");
        const decoded = decodeError(error);
        if (decoded.cancelled) {
          setState({ status: "idle" });
          return undefined;
        }
        setState({ status: "failed", message: decoded.message, hash });
        notify({ tone: "error", title: `${label} failed`, body: decoded.message });
        return undefined;
      }
    },
    [apollo, label, notify],
  );

  const busy = state.status === "simulating" || state.status === "signing" || state.status === "pending";
  const reset = useCallback(() => setState({ status: "idle" }), []);
  return { state, send, busy, reset };
}

const TEXT: Record<TxState["status"], string> = {
  idle: "",
  simulating: "Checking…",
  signing: "Awaiting signature in your wallet…",
  pending: "Pending…",
  indexing: "Confirmed, indexing…",
  confirmed: "Confirmed",
  failed: "Failed",
};

/** One line describing a transaction's progress, with a link once it has a hash. */
/**
 * Of the transactions one flow sends, the state to show: that of the first (list the latest step
 * first) that has started; idle while none has.
 */
export function latestState(...txs: { state: TxState }[]): TxState {
  return txs.find((tx) => tx.state.status !== "idle")?.state ?? { status: "idle" };
}

export function TxStatus({ state }: { state: TxState }) {
  if (state.status === "idle") return null;
  const tone =
    state.status === "failed" ? "text-rose-300" : state.status === "confirmed" ? "text-emerald-300" : "text-sky-300";
  return (
    <p role="status" className={`text-sm ${tone}`} data-tx-status={state.status}>
      {TEXT[state.status]}
      {"hash" in state && state.hash ? (
        <>
          {" "}
          <a
            className="underline"
            href={transactionUrl(state.hash)}
            target={config.explorerUrl ? "_blank" : undefined}
            rel="noreferrer"
          >
            view transaction
          </a>
        </>
      ) : null}
      {state.status === "failed" ? <span className="block">{state.message}</span> : null}
    </p>
  );
}
