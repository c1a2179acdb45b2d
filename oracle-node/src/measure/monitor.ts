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
import type { Database } from "../store/db.ts";
import { type Prober, probe } from "./probe.ts";

export interface MonitorOptions {
  timeoutMs: number;
  concurrency: number;
}

/** Where to probe a booking that another node provisioned (from the relay), if known. */
export type TargetLookup = (bookingId: string) => ProbeTarget | undefined;

export class Monitor {
  readonly #db: Database;
  readonly #clock: ChainClock;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #lookup?: TargetLookup;
  readonly #prober: Prober;
  readonly #queue: PQueue;

  constructor(
    db: Database,
    clock: ChainClock,
    options: MonitorOptions,
    log: Logger,
    metrics: Metrics,
    lookup?: TargetLookup,
    prober?: Prober,
  ) {
    this.#db = db;
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
    const now = this.#clock.nowSeconds();
    const rows = this.#db.all<{ id: string; probe: string | null }>(
      "SELECT id, probe FROM bookings WHERE stage = 'active' AND started_at IS NOT NULL AND ends_at > ?",
      now,
    );
    const watched: { id: string; target: ProbeTarget }[] = [];
    for (const row of rows) {
      const target = row.probe ? (JSON.parse(row.probe) as ProbeTarget) : this.#lookup?.(row.id);
      if (target) watched.push({ id: row.id, target });
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
          return { id, atMs, ...result };
        }),
      ),
    );
    if (samples.every((s) => !s)) return 0;
    this.#db.transaction(() => {
      for (const s of samples) {
        if (!s) continue;
        this.#db.run(
          "INSERT INTO samples (booking_id, at_ms, ok, latency_ms, source) VALUES (?, ?, ?, ?, 'probe')",
          s.id,
          Math.round(s.atMs),
          s.ok ? 1 : 0,
          s.latencyMs,
        );
      }
    });
    const down = samples.filter((s) => s && !s.ok).length;
    const probed = samples.filter(Boolean).length;
    if (down) this.#log.debug({ probed, down }, "probe round");
    return probed;
  }
}
