import { getAccount } from "@wagmi/core";
import { useId, useState } from "react";

import { simulateResourceMarketplaceRateBooking } from "../../generated/contracts.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";

const LABELS = ["", "Poor", "Fair", "Good", "Very good", "Excellent"];

/** Rates the provider of a completed booking, once: five radio buttons drawn as stars. */
export function RateBooking({ bookingId }: { bookingId: string }) {
  const [score, setScore] = useState(0);
  const tx = useTransaction(`Rate booking #${bookingId}`);
  const name = useId();

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (score < 1) return;
    await tx.send(() =>
      simulateResourceMarketplaceRateBooking(wagmiConfig, {
        args: [BigInt(bookingId), score],
        account: getAccount(wagmiConfig).address,
      }),
    );
  };

  return (
    <form onSubmit={submit} className="space-y-2">
      <fieldset>
        <legend className="text-sm font-medium">Rate the provider</legend>
        <div className="mt-1 flex items-center gap-1">
          {[1, 2, 3, 4, 5].map((value) => (
            <label key={value} className="cursor-pointer">
              <input
                type="radio"
                name={name}
                value={value}
                checked={score === value}
                onChange={() => setScore(value)}
                className="peer sr-only"
              />
              <span
                aria-hidden="true"
                className={`block rounded px-0.5 text-2xl leading-none peer-focus-visible:outline-2 peer-focus-visible:outline-sky-400 ${
                  value <= score ? "text-amber-300" : "text-slate-600"
                }`}
              >
                ★
              </span>
              <span className="sr-only">
                {value} {value === 1 ? "star" : "stars"}: {LABELS[value]}
              </span>
            </label>
          ))}
          <span className="ml-2 text-sm text-slate-400">{score ? LABELS[score] : "Choose 1–5 stars"}</span>
        </div>
      </fieldset>
      <button type="submit" className="btn" disabled={score < 1 || tx.busy}>
        Submit rating
      </button>
      <TxStatus state={tx.state} />
    </form>
  );
}
