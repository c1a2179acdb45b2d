/** The provider's bond per token: deposit, request a withdrawal, withdraw once unbonded. */
import { simulateContract } from "@wagmi/core";
import { useState } from "react";
import { type Address, erc20Abi } from "viem";
import { useBalance, useReadContract } from "wagmi";

import { ErrorState, Skeleton } from "../../components/States.tsx";
import {
  simulateEscrowManagerDepositBond,
  simulateEscrowManagerRequestBondWithdrawal,
  simulateEscrowManagerWithdrawBond,
  useReadEscrowManagerBondOf,
  useReadEscrowManagerSettings,
  escrowManagerAddress,
} from "../../generated/contracts.ts";
import { formatDate, formatDuration, formatRelative, formatToken } from "../../lib/format.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { useNow } from "../../lib/useNow.ts";
import { chain, wagmiConfig } from "../../wagmi.ts";
import { parseTokenAmount } from "./earnings.ts";
import { TextField } from "../../components/Field.tsx";
import { type PaymentToken, isNative, usePaymentTokens } from "../../lib/tokens.ts";

const escrowAddress = escrowManagerAddress[chain.id as keyof typeof escrowManagerAddress];

/** One amount of the bond's token and the button that acts on it. */
function AmountForm({
  action,
  secondary = false,
  busy,
  onSubmit,
  ...field
}: {
  label: string;
  error?: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  onSubmit: (event: React.FormEvent) => Promise<void>;
  action: string;
  secondary?: boolean;
  busy: boolean;
}) {
  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-wrap items-end gap-2">
      <TextField {...field} className="min-w-0 flex-1" inputMode="decimal" />
      <button type="submit" className={secondary ? "btn btn-secondary" : "btn"} disabled={busy}>
        {action}
      </button>
    </form>
  );
}

function BondCard({
  provider,
  token,
  delaySeconds,
}: {
  provider: Address;
  token: PaymentToken;
  delaySeconds?: number;
}) {
  const now = useNow();
  const bond = useReadEscrowManagerBondOf({ args: [provider, token.address] });
  const balance = useBalance({ address: provider, token: isNative(token) ? undefined : token.address });
  const allowance = useReadContract({
    address: token.address,
    abi: erc20Abi,
    functionName: "allowance",
    args: [provider, escrowAddress],
    query: { enabled: !isNative(token) },
  });
  const [depositText, setDepositText] = useState("");
  const [withdrawText, setWithdrawText] = useState("");
  const [errors, setErrors] = useState<{ deposit?: string; withdraw?: string }>({});
  const approveTx = useTransaction(`Approve ${token.symbol}`);
  const depositTx = useTransaction(`Deposit ${token.symbol} bond`);
  const requestTx = useTransaction(`Request ${token.symbol} bond withdrawal`);
  const withdrawTx = useTransaction(`Withdraw ${token.symbol} bond`);
  const busy = approveTx.busy || depositTx.busy || requestTx.busy || withdrawTx.busy;
  const show = (amount: bigint) => formatToken(amount, token.decimals, token.symbol);
  const refresh = () => Promise.all([bond.refetch(), balance.refetch(), allowance.refetch()]);

  if (bond.error)
    return (
      <ErrorState
        title={`The ${token.symbol} bond could not be read from the chain.`}
        error={bond.error}
        retry={() => bond.refetch()}
      />
    );
  if (!bond.data) {
    return (
      <div className="card space-y-2" role="status" aria-label="Loading">
        <Skeleton className="h-5 w-1/3" />
        <Skeleton className="h-4 w-2/3" />
      </div>
    );
  }
  const { amount, unbonding, unbondingAvailableAt } = bond.data;
  const unlocked = unbonding > 0n && now >= unbondingAvailableAt;

  const deposit = async (event: React.FormEvent) => {
    event.preventDefault();
    const value = parseTokenAmount(depositText, token.decimals);
    if (value === undefined)
      return setErrors({ deposit: `Enter an amount of ${token.symbol}, at most ${token.decimals} decimals.` });
    if (balance.data && value > balance.data.value)
      return setErrors({ deposit: `Your balance is ${show(balance.data.value)}.` });
    setErrors({});
    if (!isNative(token) && (allowance.data ?? 0n) < value) {
      const approved = await approveTx.send(() =>
        simulateContract(wagmiConfig, {
          address: token.address,
          abi: erc20Abi,
          functionName: "approve",
          args: [escrowAddress, value],
          account: provider,
        }),
      );
      if (!approved) return;
    }
    const receipt = await depositTx.send(() =>
      simulateEscrowManagerDepositBond(wagmiConfig, {
        args: [token.address, value],
        value: isNative(token) ? value : 0n,
        account: provider,
      }),
    );
    if (receipt) setDepositText("");
    await refresh();
  };

  const request = async (event: React.FormEvent) => {
    event.preventDefault();
    const value = parseTokenAmount(withdrawText, token.decimals);
    if (value === undefined) return setErrors({ withdraw: `Enter an amount of ${token.symbol}.` });
    if (value > amount) return setErrors({ withdraw: `The bond holds ${show(amount)}.` });
    setErrors({});
    const receipt = await requestTx.send(() =>
      simulateEscrowManagerRequestBondWithdrawal(wagmiConfig, { args: [token.address, value], account: provider }),
    );
    if (receipt) setWithdrawText("");
    await refresh();
  };

  const withdraw = async () => {
    await withdrawTx.send(() =>
      simulateEscrowManagerWithdrawBond(wagmiConfig, { args: [token.address], account: provider }),
    );
    await refresh();
  };

  return (
    <section className="card space-y-3" aria-label={`${token.symbol} bond`}>
      <h3 className="font-medium">{token.symbol}</h3>
      <dl className="grid grid-cols-[1fr_auto] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-400">Bonded</dt>
        <dd>{show(amount)}</dd>
        <dt className="text-slate-400">Unbonding</dt>
        <dd>{show(unbonding)}</dd>
        {unbonding > 0n ? (
          <>
            <dt className="text-slate-400">Withdrawable</dt>
            <dd title={formatDate(unbondingAvailableAt)}>
              {unlocked ? "now" : formatRelative(unbondingAvailableAt, now)}
            </dd>
          </>
        ) : null}
        <dt className="text-slate-400">Wallet</dt>
        <dd>{balance.data ? show(balance.data.value) : "…"}</dd>
      </dl>
      <AmountForm
        label={`Deposit ${token.symbol}`}
        error={errors.deposit}
        value={depositText}
        onChange={setDepositText}
        onSubmit={deposit}
        action="Deposit"
        busy={busy}
      />
      <TxStatus state={approveTx.state} />
      <TxStatus state={depositTx.state} />
      {amount > 0n ? (
        <AmountForm
          label="Request withdrawal"
          error={errors.withdraw}
          hint={delaySeconds ? `Unbonds after ${formatDuration(delaySeconds)}; still slashable until then.` : undefined}
          value={withdrawText}
          onChange={setWithdrawText}
          onSubmit={request}
          action="Request"
          secondary
          busy={busy}
        />
      ) : null}
      <TxStatus state={requestTx.state} />
      {unbonding > 0n ? (
        <button type="button" className="btn btn-secondary" disabled={busy || !unlocked} onClick={withdraw}>
          {unlocked ? `Withdraw ${show(unbonding)}` : `Unbonding until ${formatDate(unbondingAvailableAt)}`}
        </button>
      ) : null}
      <TxStatus state={withdrawTx.state} />
    </section>
  );
}

export function Bonds({ provider }: { provider: Address }) {
  const settings = useReadEscrowManagerSettings();
  // Bonds can be posted in enabled tokens; one in a token disabled since can still be withdrawn.
  const { tokens: paymentTokens } = usePaymentTokens();
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-400">
        A bond shows consumers you have something at stake: when you let provisioning time out or terminate a booking,
        {settings.data
          ? ` ${settings.data.bondSlashBps / 100} % of the booking's amount`
          : " part of the booking's amount"}{" "}
        is slashed from your bond in the booking's token to compensate the consumer.
      </p>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {paymentTokens.map((token) => (
          <BondCard
            key={token.address}
            provider={provider}
            token={token}
            delaySeconds={settings.data?.unbondingDelaySeconds}
          />
        ))}
      </div>
    </div>
  );
}
