/**
 * Extends a requested or running booking in one click: more hours at the resource's price now, in
 * the token the booking was paid in. The machine keeps running; the booking keeps its terms. In its
 * grace, an extension resumes a suspended booking, billed from then.
 */
import { useId, useState } from "react";
import { useAccount } from "wagmi";

import {
  readResourceMarketplaceBookedSlaTerms,
  simulateResourceMarketplaceExtendBooking,
  simulateResourceMarketplaceExtendBookingWithPermit,
  useReadPriceOracleQuote,
} from "../../generated/contracts.ts";
import { decodeError } from "../../lib/errors.ts";
import { approveEscrow, isPermitToken, permitEscrow, useTokenBalance } from "../../lib/escrowPayment.ts";
import { formatDate, formatToken, formatUsdE8 } from "../../lib/format.ts";
import { type PaymentToken, isNative } from "../../lib/tokens.ts";
import { TxStatus, latestState, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { DEFAULT_SLIPPAGE, bookingUsdE8, maxPayment, parseHours, parseSlippageBps } from "../resource/booking.ts";

const SLIPPAGE = parseSlippageBps(DEFAULT_SLIPPAGE);

export interface ExtendableBooking {
  id: string;
  /** When the booking ends now (unset before provisioning). */
  endsAt?: string | null;
  resource: { pricePerHourUsdE8: string; maxHours: number };
}

export function ExtendBooking({
  booking,
  token,
  now,
}: {
  booking: ExtendableBooking;
  token: PaymentToken;
  /** The chain's time (seconds). */
  now: number;
}) {
  const ids = useId();
  const { address: account } = useAccount();
  const [hoursText, setHoursText] = useState("1");
  const [problem, setProblem] = useState<string>();
  const [working, setWorking] = useState(false);
  const approveTx = useTransaction("Approve payment");
  const extendTx = useTransaction(`Extend booking #${booking.id}`);

  const hours = parseHours(hoursText, 1, booking.resource.maxHours);
  const usdE8 = hours.ok ? bookingUsdE8(BigInt(booking.resource.pricePerHourUsdE8), hours.value) : undefined;
  const quote = useReadPriceOracleQuote({
    args: usdE8 !== undefined ? [token.address, usdE8] : undefined,
    query: { enabled: usdE8 !== undefined, refetchInterval: 15_000 },
  });
  const amount = quote.data?.[0];
  const max = amount !== undefined && SLIPPAGE.ok ? maxPayment(amount, SLIPPAGE.value) : undefined;
  const balance = useTokenBalance(token, account);
  const short = balance !== undefined && max !== undefined && balance < max;
  const busy = working || approveTx.busy || extendTx.busy;
  if (!account) return null;

  const extend = async () => {
    if (!hours.ok || max === undefined) return;
    setProblem(undefined);
    setWorking(true);
    try {
      const bookingId = BigInt(booking.id);
      // The booking keeps the SLA it was booked with: that is the least the consumer accepts.
      const [, , minSla] = await readResourceMarketplaceBookedSlaTerms(wagmiConfig, { args: [bookingId] });
      const args = [bookingId, hours.value, token.address, max, minSla] as const;
      if (isNative(token)) {
        // Any value above the price is returned by the marketplace.
        await extendTx.send(() => simulateResourceMarketplaceExtendBooking(wagmiConfig, { args, value: max, account }));
      } else if (isPermitToken(token)) {
        const permit = await permitEscrow(account, token.address, max);
        await extendTx.send(() =>
          simulateResourceMarketplaceExtendBookingWithPermit(wagmiConfig, { args: [...args, permit], account }),
        );
      } else {
        if (!(await approveEscrow(approveTx, account, token.address, max))) return;
        await extendTx.send(() => simulateResourceMarketplaceExtendBooking(wagmiConfig, { args, account }));
      }
    } catch (error) {
      // The permit signature was declined or failed; transactions report through TxStatus.
      const decoded = decodeError(error);
      if (!decoded.cancelled) setProblem(decoded.message);
    } finally {
      setWorking(false);
    }
  };

  // A booking past its end is in its grace: the extension resumes it now.
  const newEnd = booking.endsAt && hours.ok ? Math.max(Number(booking.endsAt), now) + hours.value * 3_600 : undefined;
  return (
    <form
      className="space-y-2"
      aria-label="Extend this booking"
      onSubmit={(event) => {
        event.preventDefault();
        void extend();
      }}
    >
      <div className="flex flex-wrap items-end gap-2">
        <div>
          <label className="label" htmlFor={`${ids}-hours`}>
            Extend by (hours, up to {booking.resource.maxHours})
          </label>
          <input
            id={`${ids}-hours`}
            className="field w-32"
            inputMode="numeric"
            value={hoursText}
            aria-invalid={!hours.ok || undefined}
            onChange={(event) => setHoursText(event.target.value)}
            disabled={busy}
          />
        </div>
        <button type="submit" className="btn" disabled={!hours.ok || max === undefined || short || busy}>
          Extend
        </button>
      </div>
      <p className="text-sm text-slate-300" data-testid="extension-quote">
        {!hours.ok
          ? hours.error
          : amount === undefined
            ? quote.error
              ? `No price for ${token.symbol} right now: ${decodeError(quote.error).message}`
              : "Pricing…"
            : `${formatUsdE8(usdE8!)} = ${formatToken(amount, token.decimals, token.symbol)} at today's price` +
              ` (paying at most ${formatToken(max!, token.decimals, token.symbol)}).` +
              (newEnd ? ` The booking would end ${formatDate(newEnd)}.` : "")}
      </p>
      {short ? <p className="text-sm text-amber-200">Your {token.symbol} balance does not cover this.</p> : null}
      {problem ? <p className="text-sm text-rose-300">{problem}</p> : null}
      <TxStatus state={latestState(extendTx, approveTx)} />
    </form>
  );
}
