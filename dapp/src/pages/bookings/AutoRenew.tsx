/**
 * Auto-renew in one click: a renewal policy on chain (hours per renewal, the highest price per hour,
 * a budget) and the funds renewals pull from, an allowance to the escrow for an ERC-20 or the ETH
 * renewal balance. Anyone (the oracle nodes do) may then renew the booking near its end. The panel
 * also says, from the chain's figures now, whether the next renewal would go through.
 */
import { RENEWAL_SKIP_MESSAGES, renewalBlockedBy, renewalTip, renewalWindowSeconds } from "@d-cloudx/sdk/runway";
import { useState } from "react";
import { type Address, erc20Abi, formatUnits } from "viem";
import { useAccount, useReadContract } from "wagmi";

import { TextField } from "../../components/Field.tsx";
import { config } from "../../config.ts";
import {
  readBookingRenewalsRenewalBalance,
  simulateBookingRenewalsCancelRenewalPolicy,
  simulateBookingRenewalsDepositRenewalBalance,
  simulateBookingRenewalsSetRenewalPolicy,
  useReadBookingRenewalsRenewalBalance,
  useReadPriceOracleQuote,
} from "../../generated/contracts.ts";
import { approveEscrow, useTokenBalance } from "../../lib/escrowPayment.ts";
import { formatDate, formatDuration, formatToken, formatUsdE8 } from "../../lib/format.ts";
import { type PaymentToken, isNative } from "../../lib/tokens.ts";
import { TxStatus, latestState, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { parseDecimal } from "../marketplace/filters.ts";
import { DEFAULT_SLIPPAGE, bookingUsdE8, parseHours } from "../resource/booking.ts";
import { renewalBudget } from "./runway.ts";

const escrow = config.deployment?.contracts.EscrowManager.proxy as Address;
/** BookingRenewals takes the renewer's tip in an ERC-20 itself, under an allowance of its own. */
const renewals = config.deployment?.contracts.BookingRenewals.proxy as Address;
const DEFAULT_RENEWALS = "3";
const MAX_RENEWALS = 100;

export interface RenewableBooking {
  id: string;
  hoursBooked: number;
  endsAt?: string | null;
  extensions: readonly { hours: number }[];
  resource: { pricePerHourUsdE8: string; maxHours: number };
  renewalPolicy?: {
    active: boolean;
    hoursPerRenewal: number;
    maxPricePerHourUsdE8: string;
    budgetLeft: string;
    renewalCount: number;
  } | null;
}

export interface RenewalSettings {
  windowSeconds?: number;
  tipBps?: number;
}

export function AutoRenew({
  booking,
  token,
  settings,
}: {
  booking: RenewableBooking;
  token: PaymentToken;
  settings: RenewalSettings;
}) {
  const { address: account } = useAccount();
  const policy = booking.renewalPolicy?.active ? booking.renewalPolicy : undefined;
  const funds = useRenewalFunds(token, account);
  if (!account) return null;
  return policy ? (
    <ActivePolicy booking={booking} policy={policy} token={token} settings={settings} funds={funds} />
  ) : (
    <PolicyForm booking={booking} token={token} settings={settings} funds={funds} account={account} />
  );
}

type Funds = ReturnType<typeof useRenewalFunds>;

/**
 * What renewals can pull from now: the allowances (the escrow's for the amounts, BookingRenewals'
 * for the tips) and the balance, or the ETH renewal balance.
 */
function useRenewalFunds(token: PaymentToken, account: Address | undefined) {
  const native = isNative(token);
  const poll = { refetchInterval: 5_000 };
  const allowance = useReadContract({
    abi: erc20Abi,
    address: token.address,
    functionName: "allowance",
    args: account ? [account, escrow] : undefined,
    query: { enabled: Boolean(account && !native), ...poll },
  });
  const tipAllowance = useReadContract({
    abi: erc20Abi,
    address: token.address,
    functionName: "allowance",
    args: account ? [account, renewals] : undefined,
    query: { enabled: Boolean(account && !native), ...poll },
  });
  const renewalBalance = useReadBookingRenewalsRenewalBalance({
    args: account ? [account] : undefined,
    query: { enabled: Boolean(account && native), ...poll },
  });
  const balance = useTokenBalance(token, account);
  return {
    allowance: native ? undefined : allowance.data,
    tipAllowance: native ? undefined : tipAllowance.data,
    /** What renewals are paid from: the token balance, or the ETH renewal balance. */
    balance: native ? renewalBalance.data : balance,
    refetch: () =>
      void (native ? renewalBalance.refetch() : Promise.all([allowance.refetch(), tipAllowance.refetch()])),
  };
}

/**
 * The funds a policy with `budget` needs: approvals of the escrow (and of BookingRenewals for the
 * tips, when renewals pay one), or an ETH deposit.
 */
async function fund(
  approveTx: ReturnType<typeof useTransaction>,
  depositTx: ReturnType<typeof useTransaction>,
  account: Address,
  token: PaymentToken,
  budget: bigint,
  tipBps: number,
): Promise<boolean> {
  if (!isNative(token)) {
    if (!(await approveEscrow(approveTx, account, token.address, budget))) return false;
    const tips = renewalTip(budget, tipBps);
    return tips === 0n || approveEscrow(approveTx, account, token.address, tips, renewals);
  }
  const held = await readBookingRenewalsRenewalBalance(wagmiConfig, { args: [account] });
  if (held >= budget) return true;
  const receipt = await depositTx.send(() =>
    simulateBookingRenewalsDepositRenewalBalance(wagmiConfig, { value: budget - held, account }),
  );
  return receipt !== undefined;
}

function PolicyForm({
  booking,
  token,
  settings,
  funds,
  account,
}: {
  booking: RenewableBooking;
  token: PaymentToken;
  settings: RenewalSettings;
  funds: Funds;
  account: Address;
}) {
  const price = BigInt(booking.resource.pricePerHourUsdE8);
  // Renew by what was booked first, and at most at today's price unless the consumer allows more.
  const firstHours = booking.hoursBooked - booking.extensions.reduce((sum, extension) => sum + extension.hours, 0);
  const [hoursText, setHoursText] = useState(String(Math.min(Math.max(1, firstHours), booking.resource.maxHours)));
  const [renewalsText, setRenewalsText] = useState(DEFAULT_RENEWALS);
  const [maxPriceText, setMaxPriceText] = useState(formatUnits(price, 8));
  const policyTx = useTransaction(`Auto-renew booking #${booking.id}`);
  const approveTx = useTransaction("Approve renewals");
  const depositTx = useTransaction("Deposit for renewals");
  const [working, setWorking] = useState(false);

  const hours = parseHours(hoursText, 1, booking.resource.maxHours);
  const renewals = parseHours(renewalsText, 1, MAX_RENEWALS);
  const maxPrice = parseDecimal(maxPriceText, 8);
  const quote = useReadPriceOracleQuote({
    args: hours.ok ? [token.address, bookingUsdE8(price, hours.value)] : undefined,
    query: { enabled: hours.ok, refetchInterval: 15_000 },
  });
  const amount = quote.data?.[0];
  const budget =
    amount !== undefined && renewals.ok ? renewalBudget(amount, renewals.value, settings.tipBps ?? 0) : undefined;
  const problem = !hours.ok
    ? `Renew by a whole number of hours from 1 to ${booking.resource.maxHours}.`
    : !renewals.ok
      ? `Allow from 1 to ${MAX_RENEWALS} renewals.`
      : maxPrice === undefined || maxPrice === 0n
        ? "Enter the highest price per hour in USD, e.g. 1.50."
        : maxPrice < price
          ? `The resource costs ${formatUsdE8(price)} an hour now: a lower maximum would not renew it.`
          : undefined;
  const busy = working || policyTx.busy || approveTx.busy || depositTx.busy;

  const turnOn = async () => {
    if (problem || budget === undefined || !hours.ok || maxPrice === undefined) return;
    setWorking(true);
    try {
      const set = await policyTx.send(() =>
        simulateBookingRenewalsSetRenewalPolicy(wagmiConfig, {
          args: [BigInt(booking.id), hours.value, maxPrice, budget],
          account,
        }),
      );
      if (set && (await fund(approveTx, depositTx, account, token, budget, settings.tipBps ?? 0))) funds.refetch();
    } finally {
      setWorking(false);
    }
  };

  const window =
    settings.windowSeconds !== undefined && hours.ok
      ? renewalWindowSeconds(settings.windowSeconds, hours.value)
      : undefined;
  return (
    <form
      className="space-y-2"
      aria-label="Auto-renew this booking"
      onSubmit={(event) => {
        event.preventDefault();
        void turnOn();
      }}
    >
      <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
        <TextField
          label="Hours per renewal"
          inputMode="numeric"
          value={hoursText}
          onChange={setHoursText}
          disabled={busy}
        />
        <TextField
          label="Renewals at most"
          inputMode="numeric"
          value={renewalsText}
          onChange={setRenewalsText}
          disabled={busy}
        />
        <TextField
          label="Highest price per hour (USD)"
          inputMode="decimal"
          value={maxPriceText}
          onChange={setMaxPriceText}
          disabled={busy}
        />
      </div>
      <p className="text-sm text-slate-300" data-testid="auto-renew-terms">
        {problem ??
          (budget === undefined
            ? "Pricing…"
            : `Budget ${formatToken(budget, token.decimals, token.symbol)} (today's price with a ${DEFAULT_SLIPPAGE} % margin${
                settings.tipBps ? " and the renewer's tip" : ""
              }), ${
                isNative(token)
                  ? "deposited into your renewal balance (withdraw what is left at any time)"
                  : `approved for the escrow to take from your ${token.symbol}`
              }. Renews ${window !== undefined ? `in the last ${formatDuration(window)} before the end` : "near the end"}.`)}
      </p>
      <button type="submit" className="btn" disabled={Boolean(problem) || budget === undefined || busy}>
        Turn on auto-renew
      </button>
      <TxStatus state={latestState(depositTx, approveTx, policyTx)} />
    </form>
  );
}

function ActivePolicy({
  booking,
  policy,
  token,
  settings,
  funds,
}: {
  booking: RenewableBooking;
  policy: NonNullable<RenewableBooking["renewalPolicy"]>;
  token: PaymentToken;
  settings: RenewalSettings;
  funds: Funds;
}) {
  const { address: account } = useAccount();
  const cancelTx = useTransaction(`Stop auto-renew of booking #${booking.id}`);
  const approveTx = useTransaction("Approve renewals");
  const depositTx = useTransaction("Deposit for renewals");
  const price = BigInt(booking.resource.pricePerHourUsdE8);
  const quote = useReadPriceOracleQuote({
    args: [token.address, bookingUsdE8(price, policy.hoursPerRenewal)],
    query: { refetchInterval: 15_000 },
  });
  const amount = quote.data?.[0];
  const tip = amount === undefined ? undefined : renewalTip(amount, settings.tipBps ?? 0);
  const budgetLeft = BigInt(policy.budgetLeft);
  const blockedBy =
    amount === undefined || tip === undefined || funds.balance === undefined
      ? undefined
      : renewalBlockedBy({
          pricePerHourUsdE8: price,
          maxPricePerHourUsdE8: BigInt(policy.maxPricePerHourUsdE8),
          amount,
          tip,
          budgetLeft,
          allowance: isNative(token) ? undefined : (funds.allowance ?? 0n),
          tipAllowance: isNative(token) || tip === 0n ? undefined : (funds.tipAllowance ?? 0n),
          balance: funds.balance,
        });
  const amountText = (value: bigint) => formatToken(value, token.decimals, token.symbol);
  const window =
    settings.windowSeconds !== undefined
      ? renewalWindowSeconds(settings.windowSeconds, policy.hoursPerRenewal)
      : undefined;
  const opensAt = window !== undefined && booking.endsAt ? Number(booking.endsAt) - window : undefined;
  // The funds are short but the budget is not: one click tops them up to what the budget may spend.
  const topUp = blockedBy === "INSUFFICIENT_ALLOWANCE" || (blockedBy === "INSUFFICIENT_BALANCE" && isNative(token));

  return (
    <div className="space-y-2 text-sm" data-testid="auto-renew" data-blocked-by={blockedBy ?? ""}>
      <p>
        <span className="font-medium text-emerald-300">Auto-renew is on:</span> {policy.hoursPerRenewal} h at a time, at
        up to {formatUsdE8(BigInt(policy.maxPricePerHourUsdE8))} an hour; {amountText(budgetLeft)} of its budget left
        {policy.renewalCount > 0 ? ` after ${policy.renewalCount} renewal${policy.renewalCount > 1 ? "s" : ""}` : ""}.
      </p>
      {amount !== undefined && !blockedBy ? (
        <p className="text-slate-300">
          Next renewal: {amountText(amount + (tip ?? 0n))} at today's price
          {opensAt !== undefined ? `, from ${formatDate(opensAt)}` : ""}.
        </p>
      ) : null}
      {blockedBy ? (
        <p role="alert" className="text-amber-200" data-testid="auto-renew-blocked">
          The next renewal would not go through: {RENEWAL_SKIP_MESSAGES[blockedBy]}
          {funds.allowance !== undefined && blockedBy === "INSUFFICIENT_ALLOWANCE"
            ? ` (allowance ${amountText(funds.allowance)}, renewal ${amountText(amount!)}).`
            : ""}{" "}
          Extend it yourself, or fix this before its end.
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        {topUp && account ? (
          <button
            type="button"
            className="btn"
            disabled={approveTx.busy || depositTx.busy}
            onClick={async () => {
              if (await fund(approveTx, depositTx, account, token, budgetLeft, settings.tipBps ?? 0)) funds.refetch();
            }}
          >
            {isNative(token) ? "Top up the renewal balance" : `Approve ${token.symbol} for renewals`}
          </button>
        ) : null}
        <button
          type="button"
          className="btn btn-secondary"
          disabled={cancelTx.busy}
          onClick={() =>
            void cancelTx.send(() =>
              simulateBookingRenewalsCancelRenewalPolicy(wagmiConfig, { args: [BigInt(booking.id)], account }),
            )
          }
        >
          Stop auto-renew
        </button>
      </div>
      <TxStatus state={latestState(cancelTx, depositTx, approveTx)} />
    </div>
  );
}
