/**
 * One-click re-booking elsewhere after a provider failed the consumer: the closest equivalent
 * resource (replacement.ts) at a highest price per hour the consumer confirms. The refund is in the
 * escrow's claim ledger: the click withdraws it to the wallet, then books and pays from the wallet.
 */
import { useQuery } from "@apollo/client/react";
import { useId, useState } from "react";
import { Link } from "react-router";
import { type Address, formatUnits } from "viem";
import { useAccount } from "wagmi";

import { TextField } from "../../components/Field.tsx";
import { ProviderName } from "../../components/ProviderName.tsx";
import {
  simulateEscrowManagerClaim,
  useReadEscrowManagerOwed,
  useReadPriceOracleQuote,
} from "../../generated/contracts.ts";
import { graphql } from "../../generated/gql/index.ts";
import { bookResource } from "../../lib/book.ts";
import { decodeError } from "../../lib/errors.ts";
import { formatBps, formatToken, formatUsdE8 } from "../../lib/format.ts";
import type { PaymentToken } from "../../lib/tokens.ts";
import { TxStatus, latestState, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { parseDecimal } from "../marketplace/filters.ts";
import { DEFAULT_SLIPPAGE, bookingUsdE8, maxPayment, parseSlippageBps } from "../resource/booking.ts";
import {
  type ReplaceableBooking,
  bestCandidate,
  hoursLeft,
  replacementFilter,
  replacementHours,
  replacementReason,
} from "./replacement.ts";

const SLIPPAGE = parseSlippageBps(DEFAULT_SLIPPAGE);

const ReplacementsQuery = graphql(`
  query Replacements($where: Resource_filter!) {
    resources(where: $where, orderBy: provider__scoreBps, orderDirection: desc, first: 20) {
      id
      pricePerHourUsdE8
      minHours
      maxHours
      capacity
      openBookings
      uptimeTargetBps
      maxLatencyMs
      provider {
        scoreBps
        ...ProviderNameFields
      }
      metadata {
        name
      }
    }
  }
`);

export function Replacement({
  booking,
  token,
  now,
}: {
  booking: ReplaceableBooking & { id: string };
  token: PaymentToken;
  now: number;
}) {
  const reason = replacementReason(booking);
  const { address: account } = useAccount();
  if (!reason || !account) return null;
  return <ReplacementOffer booking={booking} token={token} now={now} reason={reason} account={account} />;
}

function ReplacementOffer({
  booking,
  token,
  now,
  reason,
  account,
}: {
  booking: ReplaceableBooking & { id: string };
  token: PaymentToken;
  now: number;
  reason: string;
  account: Address;
}) {
  const ids = useId();
  const [maxPriceText, setMaxPriceText] = useState(formatUnits(BigInt(booking.resource.pricePerHourUsdE8), 8));
  const [problem, setProblem] = useState<string>();
  const [booked, setBooked] = useState<bigint>();
  const [working, setWorking] = useState(false);
  const claimTx = useTransaction(`Withdraw refund in ${token.symbol}`);
  const approveTx = useTransaction("Approve payment");
  const bookTx = useTransaction("Book the replacement");

  const maxPrice = parseDecimal(maxPriceText, 8);
  const { data, loading } = useQuery(ReplacementsQuery, {
    variables: { where: replacementFilter(booking, maxPrice ?? 0n) },
    skip: maxPrice === undefined,
  });
  const candidate = bestCandidate(data?.resources ?? []);
  const hours = candidate ? replacementHours(hoursLeft(booking, now), candidate.minHours, candidate.maxHours) : 0;
  const usdE8 = candidate ? bookingUsdE8(BigInt(candidate.pricePerHourUsdE8), hours) : undefined;
  const quote = useReadPriceOracleQuote({
    args: usdE8 !== undefined ? [token.address, usdE8] : undefined,
    query: { enabled: usdE8 !== undefined, refetchInterval: 15_000 },
  });
  const owed = useReadEscrowManagerOwed({ args: [account, token.address], query: { refetchInterval: 15_000 } });
  const amount = quote.data?.[0];
  const max = amount !== undefined && SLIPPAGE.ok ? maxPayment(amount, SLIPPAGE.value) : undefined;
  const refund = owed.data ?? 0n;
  const busy = working || claimTx.busy || approveTx.busy || bookTx.busy;
  const text = (value: bigint) => formatToken(value, token.decimals, token.symbol);

  const rebook = async () => {
    if (!candidate || max === undefined) return;
    setProblem(undefined);
    setWorking(true);
    try {
      if (refund > 0n) {
        const claimed = await claimTx.send(() =>
          simulateEscrowManagerClaim(wagmiConfig, { args: [token.address], account }),
        );
        if (!claimed) return;
        void owed.refetch();
      }
      const result = await bookResource({
        terms: {
          id: BigInt(candidate.id),
          pricePerHourUsdE8: BigInt(candidate.pricePerHourUsdE8),
          minHours: candidate.minHours,
          maxHours: candidate.maxHours,
          uptimeTargetBps: candidate.uptimeTargetBps,
          maxLatencyMs: Number(candidate.maxLatencyMs),
        },
        hours,
        token,
        max,
        account,
        approveTx,
        bookTx,
      });
      if ("problem" in result) setProblem(result.problem);
      else setBooked(result.bookingId);
    } catch (error) {
      const decoded = decodeError(error);
      if (!decoded.cancelled) setProblem(decoded.message);
    } finally {
      setWorking(false);
    }
  };

  return (
    <section className="space-y-2 rounded-lg border border-amber-700/60 p-3" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="font-medium">
        Carry on elsewhere
      </h3>
      <p className="text-sm text-slate-300">
        {reason} The closest equivalent resource: the same kind, cloud and region, at least the same specs and SLA, from
        the provider with the best reputation.
      </p>
      <TextField
        label="Highest price per hour (USD)"
        inputClassName="field w-40"
        inputMode="decimal"
        value={maxPriceText}
        aria-invalid={maxPrice === undefined || undefined}
        onChange={setMaxPriceText}
        disabled={busy}
      />
      {maxPrice === undefined ? (
        <p className="text-sm text-rose-300">Enter a price in USD, e.g. 1.50.</p>
      ) : !candidate ? (
        <p className="text-sm text-slate-400">
          {loading ? "Searching…" : "No equivalent resource with free capacity at this price. Try a higher price."}
        </p>
      ) : (
        <div className="space-y-2 text-sm" data-testid="replacement">
          <p>
            <Link to={`/resources/${candidate.id}`}>{candidate.metadata?.name ?? `Resource #${candidate.id}`}</Link> by{" "}
            <ProviderName provider={candidate.provider} /> · ranking score {formatBps(candidate.provider.scoreBps)} ·{" "}
            {formatUsdE8(BigInt(candidate.pricePerHourUsdE8))} an hour · {hours} h
          </p>
          <p className="text-slate-300" data-testid="replacement-terms">
            {amount === undefined || max === undefined
              ? "Pricing…"
              : `${refund > 0n ? `First your refund of ${text(refund)} is withdrawn to your wallet; then ` : ""}` +
                `${hours} h are booked for ${text(amount)} (at most ${text(max)}), paid from your wallet` +
                (refund > 0n
                  ? refund >= max
                    ? ": the refund covers it."
                    : `: the refund covers ${text(refund)} of it.`
                  : ".")}
          </p>
          <button type="button" className="btn" disabled={max === undefined || busy} onClick={() => void rebook()}>
            {refund > 0n ? "Withdraw refund and book" : "Book it"}
          </button>
        </div>
      )}
      {problem ? (
        <p role="alert" className="text-sm text-rose-300">
          {problem}
        </p>
      ) : null}
      <TxStatus state={latestState(bookTx, approveTx, claimTx)} />
      {booked !== undefined ? (
        <p role="status" className="text-sm text-emerald-300" data-testid="replacement-booked">
          Booking #{String(booked)} is requested; it appears above once indexed.
        </p>
      ) : null}
    </section>
  );
}
