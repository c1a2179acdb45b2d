/**
 * Calls `BookingRenewals.renew(bookingId)` for the served bookings whose consumers set a renewal
 * policy, once they are in their renewal window (the last `min(renewalWindow, hoursPerRenewal)`
 * before the stream's end) or in grace. The contract decides; the node only asks when it would help:
 *
 * - It simulates first and sends only when the simulation says the booking renews. A renewal ruled
 *   out (no allowance, balance or budget, a price above the maximum) is not sent to be recorded as
 *   skipped: that would cost this oracle gas, pay no tip and tell the consumer nothing the dApp does
 *   not show already. It is simulated again every `renewals.recheckSeconds` (the consumer may top up).
 * - One oracle at a time: the oracles take turns per booking and end (the agreement's turn order,
 *   seeded by the booking id), each `reporting.takeoverSeconds` after the previous one's turn, and a
 *   renewal that landed moves the end, so the others' simulations then say no.
 * - At most one transaction per booking and end, ever: its idempotency key is
 *   `renew-<bookingId>-<endsAt>`, stored before it is sent, so a restart never sends a second one.
 */
import { encodeFunctionData } from "viem";

import { bookingRenewalsAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Agreement } from "../reporting/agreement.ts";
import type { Store } from "../store/index.ts";
import type { TxOutbox } from "../tx/outbox.ts";

export interface RenewerDeps {
  store: Store;
  chain: ChainContext;
  outbox: TxOutbox;
  agreement: Agreement;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The renewal window and grace period in seconds, as last read from the chain (DAO settings). */
  settings: () => { renewalWindowSeconds: number; graceSeconds: number };
}

export class Renewer {
  readonly #d: RenewerDeps;
  readonly #log: Logger;
  /** Chain time (seconds) before which a booking's end (by its transaction key) is not looked at again. */
  readonly #notBefore = new Map<string, number>();

  constructor(deps: RenewerDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "renewals" });
  }

  async tick(): Promise<void> {
    const { store, chain, config } = this.#d;
    if (!config.renewals.enabled) return;
    const { renewalWindowSeconds, graceSeconds } = this.#d.settings();
    const now = chain.clock.nowSeconds();
    const due = store.bookings.endingBetween(now - graceSeconds, now + renewalWindowSeconds);
    const keys = new Set<string>();
    for (const booking of due) {
      const key = `renew-${booking.id}-${booking.endsAt}`;
      keys.add(key);
      if ((this.#notBefore.get(key) ?? 0) > now) continue;
      if (this.#d.outbox.outcome(key).status !== "none") continue;
      try {
        await this.#consider(BigInt(booking.id), booking.endsAt!, key, now);
      } catch (error) {
        this.#later(key, now + config.renewals.recheckSeconds);
        this.#log.warn({ bookingId: booking.id, error: describeError(error) }, "renewal check failed");
      }
    }
    for (const key of this.#notBefore.keys()) if (!keys.has(key)) this.#notBefore.delete(key);
  }

  async #consider(bookingId: bigint, endsAt: number, key: string, now: number): Promise<void> {
    const { chain, outbox, agreement, config, metrics } = this.#d;
    const renewals = chain.addresses.renewals;
    const policy = await chain.client.readContract({
      address: renewals,
      abi: bookingRenewalsAbi,
      functionName: "renewalPolicy",
      args: [bookingId],
    });
    if (policy.hoursPerRenewal === 0) {
      // No policy (yet): the consumer may still set one.
      this.#later(key, now + config.renewals.recheckSeconds);
      return;
    }
    const window = Math.min(this.#d.settings().renewalWindowSeconds, policy.hoursPerRenewal * 3_600);
    const turn = agreement.turnOf(bookingId + BigInt(endsAt));
    const from = endsAt - window + turn * config.reporting.takeoverSeconds;
    if (now < from) {
      this.#later(key, from);
      return;
    }
    const { result } = await chain.client.simulateContract({
      account: chain.account,
      address: renewals,
      abi: bookingRenewalsAbi,
      functionName: "renew",
      args: [bookingId],
    });
    if (!result) {
      this.#later(key, now + config.renewals.recheckSeconds);
      this.#log.debug({ bookingId: String(bookingId), endsAt }, "not renewable now; checking again later");
      return;
    }
    outbox.submit(key, {
      to: renewals,
      data: encodeFunctionData({ abi: bookingRenewalsAbi, functionName: "renew", args: [bookingId] }),
    });
    metrics.renewalsSent.inc();
    this.#log.info({ bookingId: String(bookingId), endsAt, turn }, "renewing the booking (its consumer's policy)");
  }

  #later(key: string, chainSeconds: number): void {
    this.#notBefore.set(key, chainSeconds);
  }
}
