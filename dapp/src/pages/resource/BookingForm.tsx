import { ConnectButton } from "@rainbow-me/rainbowkit";
import { useId, useState } from "react";
import { Link } from "react-router";
import { useAccount } from "wagmi";

import { TextField } from "../../components/Field.tsx";
import { useReadPriceOracleQuote } from "../../generated/contracts.ts";
import { bookResource } from "../../lib/book.ts";
import { decodeError } from "../../lib/errors.ts";
import { isPermitToken, useTokenBalance } from "../../lib/escrowPayment.ts";
import { formatDuration, formatToken, formatUsdE8 } from "../../lib/format.ts";
import type { ShownTerms } from "../../lib/sources.ts";
import { type PaymentToken, isNative, sameAddress } from "../../lib/tokens.ts";
import { TxStatus, latestState, useTransaction } from "../../lib/tx.tsx";
import { DEFAULT_SLIPPAGE, bookingUsdE8, maxPayment, parseHours, parseSlippageBps } from "./booking.ts";

/** A listed resource as the booking form shows it (from the subgraph). */
export interface BookableResource extends ShownTerms {
  provider: string;
  listed: boolean;
  /** Every booking slot is taken. */
  full: boolean;
  /** Its accepted payment tokens that the PriceOracle takes now. */
  tokens: PaymentToken[];
}

/**
 * Books a resource: terms and status as the page shows them (the subgraph), the live quote from the
 * PriceOracle, and the chain's own status and terms checked again when the consumer signs.
 */
export function BookingForm({
  resource: terms,
  paused,
  name,
  provisionTimeoutSeconds,
}: {
  resource: BookableResource;
  paused: boolean;
  name: string;
  provisionTimeoutSeconds?: string;
}) {
  const ids = useId();
  const { address: account, isConnected } = useAccount();
  const resourceId = terms.id;
  const tokens = terms.tokens;

  const [hoursText, setHoursText] = useState("");
  const [tokenAddress, setTokenAddress] = useState("");
  const [slippageText, setSlippageText] = useState(DEFAULT_SLIPPAGE);
  const [problem, setProblem] = useState<string>();
  const [working, setWorking] = useState(false);
  const [bookingId, setBookingId] = useState<bigint>();
  const approveTx = useTransaction("Approve payment");
  const bookTx = useTransaction(`Book resource #${resourceId}`);

  const token = tokens.find((candidate) => candidate.address === tokenAddress) ?? tokens[0];
  const hours = parseHours(hoursText || String(terms.minHours), terms.minHours, terms.maxHours);
  const slippage = parseSlippageBps(slippageText);
  const usdE8 = hours.ok ? bookingUsdE8(terms.pricePerHourUsdE8, hours.value) : undefined;
  const quote = useReadPriceOracleQuote({
    args: token && usdE8 !== undefined ? [token.address, usdE8] : undefined,
    query: { enabled: Boolean(token && usdE8 !== undefined), refetchInterval: 15_000 },
  });
  const amount = quote.data?.[0];
  const max = amount !== undefined && slippage.ok ? maxPayment(amount, slippage.value) : undefined;
  const balance = useTokenBalance(token, account);

  const blocker = paused
    ? "The marketplace is paused by its guardian; bookings resume when it is unpaused."
    : !terms.listed
      ? "This resource is not taking bookings (paused or delisted by its provider)."
      : account && sameAddress(account, terms.provider)
        ? "This is your own resource: providers cannot book their own listings."
        : terms.full
          ? "Fully booked right now; try again when a booking ends."
          : tokens.length === 0
            ? "None of this resource's payment tokens is accepted any more."
            : undefined;
  if (blocker) return <p className="text-sm text-amber-200">{blocker}</p>;
  if (!isConnected || !account) {
    return (
      <div className="space-y-2 text-sm">
        <p>Connect a wallet to book this resource.</p>
        <ConnectButton />
      </div>
    );
  }

  const busy = working || approveTx.busy || bookTx.busy;
  const short = balance !== undefined && max !== undefined && balance < max;
  const ready = token && hours.ok && max !== undefined && !short && !busy;

  const book = async () => {
    if (!token || !hours.ok || max === undefined) return;
    setProblem(undefined);
    setBookingId(undefined);
    setWorking(true);
    try {
      const booked = await bookResource({ terms, hours: hours.value, token, max, account, approveTx, bookTx });
      if ("problem" in booked) setProblem(booked.problem);
      else setBookingId(booked.bookingId);
    } catch (error) {
      // The access-key or permit signature was declined or failed; transactions report through TxStatus.
      const decoded = decodeError(error);
      if (!decoded.cancelled) setProblem(decoded.message);
    } finally {
      setWorking(false);
    }
  };

  const timeout = provisionTimeoutSeconds
    ? formatDuration(BigInt(provisionTimeoutSeconds))
    : "the provisioning timeout";
  return (
    <form
      className="space-y-3"
      aria-label="Book this resource"
      onSubmit={(event) => {
        event.preventDefault();
        void book();
      }}
    >
      <div className="grid grid-cols-2 gap-2">
        <TextField
          label={`Hours (${terms.minHours}–${terms.maxHours})`}
          inputMode="numeric"
          value={hoursText}
          placeholder={String(terms.minHours)}
          aria-invalid={!hours.ok || undefined}
          onChange={setHoursText}
          disabled={busy}
        />
        <div>
          <label className="label" htmlFor={`${ids}-token`}>
            Pay with
          </label>
          <select
            id={`${ids}-token`}
            className="field"
            value={token?.address ?? ""}
            onChange={(event) => setTokenAddress(event.target.value)}
            disabled={busy}
          >
            {tokens.map((candidate) => (
              <option key={candidate.address} value={candidate.address}>
                {candidate.symbol}
              </option>
            ))}
          </select>
        </div>
      </div>
      <TextField
        label="Slippage tolerance (%)"
        inputMode="decimal"
        value={slippageText}
        aria-invalid={!slippage.ok || undefined}
        onChange={setSlippageText}
        disabled={busy}
      />
      {!hours.ok ? <p className="text-sm text-rose-300">{hours.error}</p> : null}
      {!slippage.ok ? <p className="text-sm text-rose-300">{slippage.error}</p> : null}
      {quote.error ? <p className="text-sm text-rose-300">{decodeError(quote.error).message}</p> : null}

      {token && hours.ok && usdE8 !== undefined ? (
        <div className="rounded-lg border border-slate-700 bg-slate-950/60 p-3 text-sm" aria-live="polite">
          <h3 className="mb-2 font-medium">Summary</h3>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-slate-400">Resource</dt>
            <dd className="break-words">
              {name} (#{String(resourceId)})
            </dd>
            <dt className="text-slate-400">Duration</dt>
            <dd>
              {hours.value} hour{hours.value === 1 ? "" : "s"}
            </dd>
            <dt className="text-slate-400">Total</dt>
            <dd data-testid="booking-total">
              {amount !== undefined ? formatToken(amount, token.decimals, token.symbol) : "…"} ({formatUsdE8(usdE8)})
            </dd>
            <dt className="text-slate-400">You pay at most</dt>
            <dd data-testid="booking-max">
              {max !== undefined ? formatToken(max, token.decimals, token.symbol) : "–"}
            </dd>
            {balance !== undefined ? (
              <>
                <dt className="text-slate-400">Your balance</dt>
                <dd className={short ? "text-rose-300" : undefined}>
                  {formatToken(balance, token.decimals, token.symbol)}
                  {short ? " — not enough" : ""}
                </dd>
              </>
            ) : null}
          </dl>
          <p className="mt-2 text-xs text-slate-400">
            The payment is held in escrow: cancel before the provider provisions it (or after {timeout} without
            provisioning) for a full refund; once running, ending early refunds the unused time and missed SLA periods
            earn credits.
          </p>
        </div>
      ) : null}

      <button type="submit" className="btn w-full" disabled={!ready}>
        {!token || isNative(token) || isPermitToken(token) ? "Book" : `Approve ${token?.symbol ?? ""} and book`}
      </button>
      {/* The approval's progress until the booking itself starts. */}
      <TxStatus state={latestState(bookTx, approveTx)} />
      {problem ? (
        <p role="alert" className="text-sm text-rose-300">
          {problem}
        </p>
      ) : null}
      {bookingId !== undefined ? (
        <p role="status" className="text-sm text-emerald-300" data-testid="booking-confirmed">
          Booking #{String(bookingId)} is requested. Follow it in <Link to="/bookings">My bookings</Link>.
        </p>
      ) : null}
    </form>
  );
}
