/** Earnings per token: accrued, withdrawable now, claimable; withdraw one booking or all; history. */
import { useQuery } from "@apollo/client/react";
import { useMemo } from "react";
import type { Address } from "viem";
import { useReadContracts } from "wagmi";

import { EmptyState, ErrorState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import {
  escrowManagerAbi,
  escrowManagerAddress,
  simulateEscrowManagerClaim,
  simulateEscrowManagerWithdrawEarnings,
  simulateEscrowManagerWithdrawEarningsBatch,
} from "../../generated/contracts.ts";
import { formatDate, formatToken, formatUsd } from "../../lib/format.ts";
import { TxStatus, transactionUrl, useTransaction } from "../../lib/tx.tsx";
import { useNow } from "../../lib/useNow.ts";
import { chain, wagmiConfig } from "../../wagmi.ts";
import { earningsByToken } from "./earnings.ts";
import { EarningBookingsQuery, ProviderMovementsQuery } from "./queries.ts";
import { paymentToken, usePaymentTokens } from "../../lib/tokens.ts";

const escrow = { address: escrowManagerAddress[chain.id as keyof typeof escrowManagerAddress], abi: escrowManagerAbi };
/** The escrow's amounts change as time passes (streaming), not only on events. */
const REFRESH_MS = 10_000;

function History({ provider }: { provider: Address }) {
  const { data, loading, error, refetch } = useQuery(ProviderMovementsQuery, {
    variables: { account: provider.toLowerCase() },
  });
  if (error && !data) return <SubgraphError error={error} retry={() => refetch()} />;
  if (loading && !data) return <LoadingCards count={1} />;
  const movements = data?.escrowMovements ?? [];
  if (movements.length === 0) return <EmptyState title="No withdrawals or claims yet." />;
  return (
    <ul className="divide-y divide-slate-800 text-sm" aria-label="Withdrawals and claims">
      {movements.map((movement) => {
        const token = paymentToken(movement.token);
        const fee = BigInt(movement.fee ?? 0);
        return (
          <li key={movement.id} className="flex flex-wrap justify-between gap-2 py-2">
            <span>
              {movement.kind === "CLAIM" ? "Claimed" : `Withdrew booking #${movement.booking?.id ?? "?"}`} ·{" "}
              {formatDate(movement.timestamp)}
            </span>
            <span>
              {formatToken(BigInt(movement.amount) - fee, token.decimals, token.symbol)}
              {fee > 0n ? ` (fee ${formatToken(fee, token.decimals, token.symbol)})` : ""}
              {movement.amountUsd ? ` · ${formatUsd(movement.amountUsd)}` : ""} ·{" "}
              <a href={transactionUrl(movement.transactionHash as `0x${string}`)}>tx</a>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export function Earnings({ provider }: { provider: Address }) {
  const now = useNow(5_000);
  const { tokens: paymentTokens } = usePaymentTokens();
  const bookingsQuery = useQuery(EarningBookingsQuery, { variables: { provider: provider.toLowerCase() } });
  const bookings = useMemo(() => bookingsQuery.data?.bookings ?? [], [bookingsQuery.data]);

  const withdrawableReads = useReadContracts({
    contracts: bookings.map(
      (booking) => ({ ...escrow, functionName: "withdrawable", args: [BigInt(booking.id)] }) as const,
    ),
    query: { enabled: bookings.length > 0, refetchInterval: REFRESH_MS },
  });
  const owedReads = useReadContracts({
    contracts: paymentTokens.map(
      (token) => ({ ...escrow, functionName: "owed", args: [provider, token.address] }) as const,
    ),
    query: { refetchInterval: REFRESH_MS },
  });

  const withdrawable = useMemo(() => {
    const map = new Map<string, bigint>();
    withdrawableReads.data?.forEach((read, index) => {
      if (read.status === "success") map.set(bookings[index]!.id, read.result as bigint);
    });
    return map;
  }, [withdrawableReads.data, bookings]);
  const perToken = earningsByToken(bookings, withdrawable, now);

  const withdrawOne = useTransaction("Withdraw earnings");
  const withdrawAll = useTransaction("Withdraw all earnings");
  const claim = useTransaction("Claim");
  const busy = withdrawOne.busy || withdrawAll.busy || claim.busy;
  const refresh = () => Promise.all([withdrawableReads.refetch(), owedReads.refetch()]);
  const readyIds = perToken.flatMap((entry) => entry.bookingIds);

  const send = async (tx: ReturnType<typeof useTransaction>, simulate: Parameters<typeof tx.send>[0]) => {
    if (await tx.send(simulate)) await refresh();
  };

  if (bookingsQuery.error && !bookingsQuery.data) {
    return <SubgraphError error={bookingsQuery.error} retry={() => bookingsQuery.refetch()} />;
  }
  if (bookingsQuery.loading && !bookingsQuery.data) return <LoadingCards count={2} />;
  const chainError = withdrawableReads.error ?? owedReads.error;

  return (
    <div className="space-y-6">
      {chainError ? (
        <ErrorState title="The chain is unreachable; amounts may be out of date." error={chainError} />
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {paymentTokens.map((token, index) => {
          const entry = perToken.find((item) => item.token === token.address.toLowerCase());
          const owedRead = owedReads.data?.[index];
          const owed = owedRead?.status === "success" ? (owedRead.result as bigint) : 0n;
          const show = (amount: bigint) => formatToken(amount, token.decimals, token.symbol);
          return (
            <section key={token.address} className="card space-y-2" aria-label={`Earnings in ${token.symbol}`}>
              <h3 className="font-medium">{token.symbol}</h3>
              <dl className="grid grid-cols-[1fr_auto] gap-x-3 gap-y-1 text-sm">
                <dt className="text-slate-400">Accrued, not withdrawn</dt>
                <dd>{show(entry?.accrued ?? 0n)}</dd>
                <dt className="text-slate-400">Withdrawable now</dt>
                <dd>{show(entry?.withdrawable ?? 0n)}</dd>
                <dt className="text-slate-400">Claimable</dt>
                <dd>{show(owed)}</dd>
                <dt className="text-slate-400">Withdrawn so far</dt>
                <dd>{show(entry?.withdrawn ?? 0n)}</dd>
              </dl>
              {owed > 0n ? (
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={busy}
                  onClick={() =>
                    send(claim, () =>
                      simulateEscrowManagerClaim(wagmiConfig, { args: [token.address], account: provider }),
                    )
                  }
                >
                  Claim {token.symbol}
                </button>
              ) : null}
            </section>
          );
        })}
      </div>
      <p className="text-xs text-slate-500">
        Amounts are before the protocol fee. Earnings become withdrawable as SLA periods settle; claims hold bond
        refunds and other credits owed to you.
      </p>
      <TxStatus state={claim.state} />
      <section className="space-y-3" aria-labelledby="ready-title">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h3 id="ready-title" className="font-medium">
            Ready to withdraw
          </h3>
          <button
            type="button"
            className="btn"
            disabled={busy || readyIds.length === 0}
            onClick={() =>
              send(withdrawAll, () =>
                simulateEscrowManagerWithdrawEarningsBatch(wagmiConfig, { args: [readyIds], account: provider }),
              )
            }
          >
            Withdraw all{readyIds.length ? ` (${readyIds.length})` : ""}
          </button>
        </div>
        <TxStatus state={withdrawAll.state} />
        <TxStatus state={withdrawOne.state} />
        {readyIds.length === 0 ? (
          <EmptyState title="Nothing is withdrawable right now.">
            Earnings of active bookings become withdrawable once each SLA period is settled.
          </EmptyState>
        ) : (
          <ul className="divide-y divide-slate-800 text-sm" aria-label="Withdrawable bookings">
            {bookings
              .filter((booking) => (withdrawable.get(booking.id) ?? 0n) > 0n)
              .map((booking) => {
                const token = paymentToken(booking.token);
                return (
                  <li key={booking.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span>
                      Booking #{booking.id} · {booking.status.toLowerCase()} ·{" "}
                      {formatToken(withdrawable.get(booking.id)!, token.decimals, token.symbol)}
                    </span>
                    <button
                      type="button"
                      className="btn btn-secondary"
                      disabled={busy}
                      onClick={() =>
                        send(withdrawOne, () =>
                          simulateEscrowManagerWithdrawEarnings(wagmiConfig, {
                            args: [BigInt(booking.id)],
                            account: provider,
                          }),
                        )
                      }
                    >
                      Withdraw
                    </button>
                  </li>
                );
              })}
          </ul>
        )}
      </section>
      <section className="space-y-3" aria-labelledby="history-title">
        <h3 id="history-title" className="font-medium">
          History
        </h3>
        <History provider={provider} />
      </section>
    </div>
  );
}
