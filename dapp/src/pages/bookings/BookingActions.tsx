/** What the consumer can do with a booking now: cancel, terminate early, complete. */
import { getAccount } from "@wagmi/core";
import { useState } from "react";

import {
  simulateResourceMarketplaceCancelBooking,
  simulateResourceMarketplaceCompleteBooking,
  simulateResourceMarketplaceTerminateBooking,
} from "../../generated/contracts.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import type { Timeline } from "./timeline.ts";

type Action = "cancel" | "terminate" | "complete";

function simulate(action: Action, bookingId: bigint) {
  const parameters = { args: [bookingId] as const, account: getAccount(wagmiConfig).address };
  if (action === "cancel") return simulateResourceMarketplaceCancelBooking(wagmiConfig, parameters);
  if (action === "terminate") return simulateResourceMarketplaceTerminateBooking(wagmiConfig, parameters);
  return simulateResourceMarketplaceCompleteBooking(wagmiConfig, parameters);
}

const LABEL: Record<Action, string> = { cancel: "Cancel booking", terminate: "Terminate early", complete: "Complete" };

export function BookingActions({
  bookingId,
  timeline,
  refundNow,
}: {
  bookingId: string;
  timeline: Timeline;
  /** What terminating or cancelling now would refund, formatted. */
  refundNow: string;
}) {
  const action: Action | undefined = timeline.canCancel
    ? "cancel"
    : timeline.canTerminate
      ? "terminate"
      : timeline.canComplete
        ? "complete"
        : undefined;
  const tx = useTransaction(`${action ? LABEL[action] : "Update"} #${bookingId}`);
  // Terminating cannot be undone, so it takes a second click.
  const [confirming, setConfirming] = useState(false);
  if (!action) return null;

  const run = () => {
    setConfirming(false);
    void tx.send(() => simulate(action, BigInt(bookingId)));
  };

  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-300">
        {action === "cancel"
          ? timeline.phase === "provisioning-timed-out"
            ? `The provider missed the provisioning deadline. Cancel to get the full payment (${refundNow}) back, plus compensation from the provider's bond.`
            : `Not provisioned yet: cancelling refunds the full payment (${refundNow}).`
          : action === "terminate"
            ? `Ending early stops billing now: the unused time (${refundNow} at this moment) is refunded to you; time already used is paid to the provider.`
            : "Billing has ended. Completing the booking frees the resource and records it in the provider's reputation; you can then rate the provider."}
      </p>
      {confirming ? (
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn btn-danger" disabled={tx.busy} onClick={run}>
            Yes, terminate now
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => setConfirming(false)}>
            Keep it running
          </button>
        </div>
      ) : (
        <button
          type="button"
          className={`btn ${action === "complete" ? "" : "btn-danger"}`}
          disabled={tx.busy}
          onClick={action === "terminate" ? () => setConfirming(true) : run}
        >
          {LABEL[action]}
        </button>
      )}
      <TxStatus state={tx.state} />
    </div>
  );
}
