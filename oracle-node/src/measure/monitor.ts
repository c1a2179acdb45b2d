/**
 * Probes every active booking once per interval and stores the samples, stamped with the chain's
 * time (the clock SLA periods are cut by). Probes run with bounded concurrency; the samples of one
 * round are written in one transaction.
 */
import PQueue from "p-queue";

import type { ChainClock } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ProbeTarget } from "../provisioners/types.ts";
import type { Booking } from "../store/bookings.ts";
import type { Store } from "../store/index.ts";
import { type Prober, probe } from "./probe.ts";

export interface MonitorOptions {
  timeoutMs: number;
  concurrency: number;
}

/** Where to probe a booking: where this node provisioned it, or where its provisioner announced it. */
export type TargetLookup = (booking: Booking) => ProbeTarget | undefined;

export class Monitor {
  readonly #store: Store;
  readonly #clock: ChainClock;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #lookup: TargetLookup;
  readonly #prober: Prober;
  readonly #queue: PQueue;

  constructor(
    store: Store,
    clock: ChainClock,
    options: MonitorOptions,
    log: Logger,
    metrics: Metrics,
    lookup: TargetLookup = (booking) => booking.probe ?? undefined,
    prober?: Prober,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#log = log.child({ component: "monitor" });
    this.#lookup = lookup;
    this.#prober =
      prober ??
      (async (_, target) => (target.kind === "object-storage" ? undefined : probe(target, options.timeoutMs)));
    this.#queue = new PQueue({ concurrency: options.concurrency });
  }

  /** The bookings being measured now: active, started and not yet at their end. */
  watched(): { id: string; target: ProbeTarget }[] {
    const watched: { id: string; target: ProbeTarget }[] = [];
    for (const booking of this.#store.bookings.running(this.#clock.nowSeconds())) {
      const target = this.#lookup(booking);
      if (target) watched.push({ id: booking.id, target });
    }
    return watched;
  }

  /** One round of probes over every watched booking. */
  async round(): Promise<number> {
    const watched = this.watched();
    const samples = await Promise.all(
      watched.map(({ id, target }) =>
        this.#queue.add(async () => {
          const atMs = this.#clock.nowMs();
          const result = await this.#prober(id, target);
          if (!result) return undefined;
          this.#metrics.probes.inc({ result: result.ok ? "up" : "down" });
          return { bookingId: id, atMs, ...result };
        }),
      ),
    );
    const taken = samples.filter((s) => s !== undefined);
    if (taken.length === 0) return 0;
    this.#store.samples.addProbes(taken);
    const down = samples.filter((s) => s && !s.ok).length;
    const probed = samples.filter(Boolean).length;
    if (down) this.#log.debug({ probed, down }, "probe round");
    return probed;
  }
}
