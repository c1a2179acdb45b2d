/**
 * Refunds, SLA credits and bond compensation are credited to a pull ledger in the EscrowManager;
 * the consumer claims each token's balance with `claim(token)`.
 */
import { getAccount } from "@wagmi/core";
import type { Address } from "viem";
import { useReadContracts } from "wagmi";

import { Skeleton } from "../../components/States.tsx";
import { escrowManagerAbi, escrowManagerAddress, simulateEscrowManagerClaim } from "../../generated/contracts.ts";
import { formatToken } from "../../lib/format.ts";
import { usePaymentTokens } from "../../lib/tokens.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { useChainEvents } from "../../lib/live.ts";
import { concernsConsumer } from "../../lib/refresh.ts";
import { chain, wagmiConfig } from "../../wagmi.ts";

const escrow = (escrowManagerAddress as Record<number, Address | undefined>)[chain.id];

export function ClaimRefunds({ account }: { account: Address }) {
  const { tokens } = usePaymentTokens();
  const owed = useReadContracts({
    contracts: tokens.map((token) => ({
      address: escrow,
      abi: escrowManagerAbi,
      functionName: "owed" as const,
      args: [account, token.address] as const,
    })),
    allowFailure: false,
    query: { enabled: Boolean(escrow) && tokens.length > 0 },
  });
  // A refund credited to this account (a cancellation, a termination, an SLA credit, a bond slash):
  // read the ledger again.
  const { refetch } = owed;
  useChainEvents((events, viewer) => {
    if (events.some((event) => event.eventName === "ConsumerRefunded" || event.eventName === "BondSlashed")) {
      if (events.some((event) => concernsConsumer(event, viewer))) void refetch();
    }
  });

  const claimable = tokens.flatMap((token, index) => {
    const amount = owed.data?.[index] as bigint | undefined;
    return amount ? [{ token, amount }] : [];
  });

  return (
    <section aria-labelledby="refunds-title" className="card space-y-3">
      <h2 id="refunds-title" className="text-lg font-medium">
        Refunds to claim
      </h2>
      {owed.error ? (
        <p role="alert" className="text-sm text-rose-300">
          Your refund balance could not be read from the chain: {owed.error.message.split("\n")[0]}
        </p>
      ) : owed.isPending ? (
        <Skeleton className="h-5 w-1/3" />
      ) : claimable.length === 0 ? (
        <p className="text-sm text-slate-400">
          Nothing to claim. Refunds for cancelled or terminated bookings and SLA credits appear here.
        </p>
      ) : (
        <ul className="space-y-2">
          {claimable.map(({ token, amount }) => (
            <ClaimRow
              key={token.address}
              token={token.address}
              amount={formatToken(amount, token.decimals, token.symbol)}
              onClaimed={() => void refetch()}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function ClaimRow({ token, amount, onClaimed }: { token: Address; amount: string; onClaimed: () => void }) {
  const tx = useTransaction(`Claim ${amount}`);
  const claim = async () => {
    const receipt = await tx.send(() =>
      simulateEscrowManagerClaim(wagmiConfig, { args: [token], account: getAccount(wagmiConfig).address }),
    );
    if (receipt) onClaimed();
  };
  return (
    <li className="flex flex-wrap items-center justify-between gap-2">
      <span className="font-medium">{amount}</span>
      <span className="flex flex-wrap items-center gap-2">
        <TxStatus state={tx.state} />
        <button type="button" className="btn" disabled={tx.busy} onClick={claim} aria-label={`Claim ${amount}`}>
          Claim
        </button>
      </span>
    </li>
  );
}
