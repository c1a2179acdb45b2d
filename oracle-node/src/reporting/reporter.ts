/**
 * Reports SLA periods, a range of a booking's consecutive periods at a time. A period can be reported
 * once it has ended (plus `delaySeconds`) and while its report window is open (less
 * `windowMarginSeconds`); periods are cut from the escrow stream's start with the deployment's period
 * length, as EscrowManager cuts them.
 *
 * Each period is measured once: its row is written with this node's figures before any signature
 * leaves the node, and never recomputed. A range (topic `report-<bookingId>-<first>-<last>`) is
 * proposed once it has `periodsPerReport` periods, its oldest period has waited `maxBatchWaitSeconds`
 * (at most two thirds of the report window), or it reaches the booking's last period. Every oracle
 * co-signs a range only if it measured every period of it itself, each within tolerance. Ranges with
 * a quorum of signatures go out in batches of `batchSize` through the transaction sender; before a
 * batch is sent, `streamOf(bookingId).settledPeriods` drops what is already settled, and the batch is
 * simulated (halving it to find any report the contract would refuse).
 */
import { createHash } from "node:crypto";

import { type Hex, encodeFunctionData } from "viem";

import { type SlaReport, meetsSla, recoverSlaReportSigner, signSlaReport, slaReport } from "@d-cloudx/sdk";
import { escrowManagerAbi, resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import {
  type PeriodFigures,
  type Sample,
  type Span,
  aggregate,
  periodBounds,
  periodCount,
  uptimeUncertaintyBps,
} from "../measure/aggregate.ts";
import type { Metrics } from "../metrics.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import type { Store } from "../store/index.ts";
import type { ReportRecord } from "../store/reports.ts";
import type { TxOutbox } from "../tx/outbox.ts";
import type { Agreement } from "./agreement.ts";
import type { TopicKind } from "./board.ts";

/** What a range statement signs: one entry per period in each list, as SlaReport carries them. */
interface RangeFigures extends Record<string, number[]> {
  uptimeBps: number[];
  p95LatencyMs: number[];
  sampleCount: number[];
}

export interface Candidate {
  bookingId: string;
  period: number;
  end: number;
  settledPeriods: number;
  startedAt: number;
  endsAt: number;
}

export interface ReporterDeps {
  store: Store;
  chain: ChainContext;
  outbox: TxOutbox;
  /** The node's account, which simulates the batches it sends. */
  account: `0x${string}`;
  agreement: Agreement;
  registry: ProvisionerRegistry;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Signatures a report needs (SLAEnforcement.quorum()). */
  quorum: () => number;
}

export class Reporter {
  readonly #d: ReporterDeps;
  readonly #log: Logger;
  readonly #periodSeconds: number;
  readonly #windowSeconds: number;
  /** The SLA each booking was made with (fixed at booking), read once. */
  readonly #bookedTerms = new Map<string, { uptimeTargetBps: number; maxLatencyMs: number }>();

  constructor(deps: ReporterDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "reporter" });
    this.#periodSeconds = deps.chain.deployment.settings.slaPeriodSeconds;
    this.#windowSeconds = deps.chain.deployment.settings.reportWindowSeconds;
  }

  async tick(): Promise<void> {
    this.#settleSubmitted();
    await this.#measureAndSign();
    await this.#submitReady();
  }

  /** Finished, unsettled periods of started bookings whose report window is open now. */
  candidates(): Candidate[] {
    const { config, chain } = this.#d;
    const now = chain.clock.nowSeconds();
    const candidates: Candidate[] = [];
    for (const row of this.#d.store.bookings.reportable()) {
      const startedAt = row.startedAt!;
      const endsAt = row.endsAt!;
      const count = periodCount(startedAt, endsAt, this.#periodSeconds);
      for (let period = row.settledPeriods; period < count; period++) {
        const { end } = periodBounds(startedAt, endsAt, this.#periodSeconds, period);
        if (now < end + config.reporting.delaySeconds) break;
        if (now >= end + this.#windowSeconds - config.reporting.windowMarginSeconds) continue;
        candidates.push({
          bookingId: row.id,
          period,
          end,
          settledPeriods: row.settledPeriods,
          startedAt,
          endsAt,
        });
      }
    }
    return candidates;
  }

  /** This node's figures for a period: its probe samples plus the cloud's metrics, if any. */
  async figures(candidate: Candidate): Promise<PeriodFigures | undefined> {
    const { store, registry, config } = this.#d;
    const span = this.#span(candidate);
    const samples: Sample[] = store.samples.between(candidate.bookingId, span.startMs, span.endMs);
    // A node reports (and co-signs) only what it measured itself: without a probe of its own, nothing.
    if (!samples.some((s) => s.source === "probe")) return undefined;
    const cloud = store.bookings.get(candidate.bookingId)?.cloud as string | null | undefined;
    if (cloud) {
      try {
        const fromCloud = await registry.for(cloud).metrics(BigInt(candidate.bookingId), span.startMs, span.endMs);
        for (const s of fromCloud)
          samples.push({ atMs: s.timestampMs, ok: s.available, latencyMs: 0, source: s.source });
      } catch (error) {
        this.#log.warn(
          { bookingId: candidate.bookingId, error: describeError(error) },
          "cloud metrics unavailable; probes only",
        );
      }
    }
    return aggregate(samples, config.probes.timeoutMs, span);
  }

  /** How far another oracle's uptime may be from this node's for it to co-sign: the configured tolerance, widened by what its own probes could not pin down. */
  #uptimeTolerance(candidate: Candidate): number {
    const { store, config } = this.#d;
    const span = this.#span(candidate);
    const probes = store.samples.between(candidate.bookingId, span.startMs, span.endMs);
    return config.reporting.tolerance.uptimeBps + uptimeUncertaintyBps(probes, config.probes.intervalMs, span);
  }

  #span(candidate: Candidate): Span {
    const { start, end } = periodBounds(candidate.startedAt, candidate.endsAt, this.#periodSeconds, candidate.period);
    return { startMs: start * 1000, endMs: end * 1000 };
  }

  async #measureAndSign(): Promise<void> {
    const { store, config, chain, metrics } = this.#d;
    const byBooking = new Map<string, Candidate[]>();
    for (const candidate of this.candidates()) {
      const list = byBooking.get(candidate.bookingId) ?? [];
      list.push(candidate);
      byBooking.set(candidate.bookingId, list);
    }
    const now = chain.clock.nowSeconds();
    for (const [bookingId, candidates] of byBooking) {
      // Recorded before any signature leaves the node: these are the figures this node stands by.
      for (const candidate of candidates) {
        if (store.reports.get(bookingId, candidate.period)) continue;
        const own = await this.figures(candidate);
        if (own) store.reports.recordMeasured(bookingId, candidate.period, own);
      }
      const topics = new Set(this.#d.agreement.topicsOf(`report-${bookingId}-`));
      const maxWaitSeconds = Math.min(config.reporting.maxBatchWaitSeconds, Math.floor((this.#windowSeconds * 2) / 3));
      const policy = { ...config.reporting, maxWaitSeconds, periodSeconds: this.#periodSeconds };
      const measured = (c: Candidate) => {
        const row = store.reports.get(c.bookingId, c.period);
        return row?.state === "measured" ? row.figures : undefined;
      };
      const due = dueRange(candidates, now, policy, measured, await this.#termsOf(bookingId));
      if (due) topics.add(reportTopic(bookingId, due.first, due.last));
      for (const topic of topics) {
        const { first, last } = parseTopic(topic);
        const booking = candidates[0]!;
        const { end } = periodBounds(booking.startedAt, booking.endsAt, this.#periodSeconds, last);
        const elapsedMs = (now - end - config.reporting.delaySeconds) * 1000;
        if (elapsedMs < 0) continue;
        const agreed = await this.#agree(booking, first, last, topic, elapsedMs);
        if (!agreed || agreed.signatures.length < this.#d.quorum()) continue;
        // Another oracle proposed: it submits first; this node steps in only after the takeover delay.
        if (!agreed.proposedHere && elapsedMs < config.reporting.takeoverSeconds * 1000) continue;
        if (store.reports.get(bookingId, first)?.rangeTopic === topic) continue;
        store.reports.markReady(bookingId, first, periodsOf(agreed.figures), topic);
        metrics.reportsSigned.inc();
      }
    }
  }

  /** The SLA a booking was made with, or undefined while it cannot be read (the report then waits as usual). */
  async #termsOf(bookingId: string) {
    const known = this.#bookedTerms.get(bookingId);
    if (known) return known;
    const { chain } = this.#d;
    try {
      const [, , terms] = await chain.client.readContract({
        address: chain.addresses.marketplace,
        abi: resourceMarketplaceAbi,
        functionName: "bookedSlaTerms",
        args: [BigInt(bookingId)],
      });
      this.#bookedTerms.set(bookingId, terms);
      return terms;
    } catch (error) {
      this.#log.warn({ bookingId, error: describeError(error) }, "booked SLA terms unavailable");
      return undefined;
    }
  }

  /** Signs what this node should sign for a range and returns the best-supported figures. */
  async #agree(booking: Candidate, first: number, last: number, topic: string, elapsedMs: number) {
    const { store, config, agreement, chain } = this.#d;
    const { bookingId } = booking;
    // This node's own figures for every period of the range, or none if it misses one.
    const own: PeriodFigures[] = [];
    for (let period = first; period <= last; period++) {
      const row = store.reports.get(bookingId, period);
      if (row?.state !== "measured") break;
      own.push(row.figures);
    }
    const mine = own.length === last - first + 1 ? rangeFigures(own) : undefined;
    const tolerance = config.reporting.tolerance;
    const uptimeTolerance: number[] = [];
    return agreement.advance<RangeFigures>({
      topic,
      sign: (f) => signReport(chain, slaReport(BigInt(bookingId), first, periodsOf(f))),
      seed: BigInt(bookingId) + BigInt(first),
      elapsedMs,
      mine,
      acceptable: (p) =>
        mine !== undefined &&
        p.uptimeBps.every(
          (uptime, i) =>
            Math.abs(uptime - mine.uptimeBps[i]!) <=
              (uptimeTolerance[i] ??= this.#uptimeTolerance({ ...booking, period: first + i })) &&
            Math.abs(p.p95LatencyMs[i]! - mine.p95LatencyMs[i]!) <= tolerance.p95LatencyMs,
        ),
    });
  }

  async #submitReady(): Promise<void> {
    const { store, chain, outbox, metrics, agreement, config } = this.#d;
    const open = new Map(this.candidates().map((c) => [`${c.bookingId}-${c.period}`, c]));
    // Ready ranges, whole and with their last period's window still open; the others expire.
    const ranges = new Map<string, ReportRecord[]>();
    for (const row of store.reports.ready()) {
      const rows = ranges.get(row.rangeTopic!) ?? [];
      rows.push(row);
      ranges.set(row.rangeTopic!, rows);
    }
    const ready: Range[] = [];
    for (const [topic, rows] of ranges) {
      const { first, last } = parseTopic(topic);
      const whole = rows.length === last - first + 1 && rows.every((r, i) => r.period === first + i);
      const candidate = open.get(`${rows[0]!.bookingId}-${last}`);
      if (whole && candidate) ready.push({ topic, bookingId: rows[0]!.bookingId, first, last, rows, candidate });
      else if (!candidate) for (const r of rows) store.reports.setState(r.bookingId, r.period, "expired");
    }
    if (ready.length === 0) return;

    const now = chain.clock.nowSeconds();
    // Settled periods as the node last synced them; the chain is asked only for the batches that go.
    const batchable = ready.filter((range) => {
      const { settledPeriods, startedAt, endsAt } = range.candidate;
      // Earlier unsettled periods must be in this batch or past their window (periods settle in order).
      for (let q = settledPeriods; q < range.first; q++) {
        const inBatch = ready.some((r) => r.bookingId === range.bookingId && r.first <= q && q <= r.last);
        const { end } = periodBounds(startedAt, endsAt, this.#periodSeconds, q);
        if (!inBatch && now < end + this.#windowSeconds) return false;
      }
      return true;
    });

    const { batchSize } = config.reporting;
    for (let i = 0; i < batchable.length; i += batchSize) {
      const chunk = batchable.slice(i, i + batchSize);
      const settled = await this.#settledPeriods([...new Set(chunk.map((r) => r.bookingId))]);
      const ranges = chunk.filter((range) => {
        if (range.last >= settled.get(range.bookingId)!) return true;
        for (const r of range.rows) store.reports.setState(r.bookingId, r.period, "settled");
        return false;
      });
      if (ranges.length === 0) continue;
      const entries = ranges.map((range) => {
        const report = slaReport(
          BigInt(range.bookingId),
          range.first,
          range.rows.map((r) => r.figures),
        );
        const signatures = agreement.signaturesFor(range.topic, rangeFigures(range.rows.map((r) => r.figures)));
        return { range, report, signatures };
      });
      const viable = await this.#viable(entries);
      if (viable.length === 0) continue;
      const key = `reports-${createHash("sha256")
        .update(viable.map((e) => e.range.topic).join(","))
        .digest("hex")
        .slice(0, 24)}`;
      const data = encodeSubmit(viable);
      store.transaction(() => {
        outbox.resubmit(key, { to: chain.addresses.sla, data });
        store.reports.markSubmitted(
          viable.flatMap((e) => e.range.rows),
          key,
        );
      });
      const periods = viable.reduce((n, e) => n + e.range.rows.length, 0);
      metrics.reportsSent.inc(periods);
      this.#log.info({ key, reports: viable.length, periods }, "SLA reports submitted");
    }
  }

  /** Reports of batches a reorg dropped (`droppedTxKeys`) are sent again (if their window is still open). */
  rewind(droppedTxKeys: string[]): void {
    this.#d.store.reports.reopenBatches(droppedTxKeys);
  }

  /** Submitted reports whose transaction is done: settled if it succeeded, ready again if not. */
  #settleSubmitted(): void {
    const { store, outbox } = this.#d;
    for (const key of store.reports.submittedBatches()) {
      const outcome = outbox.outcome(key);
      if (outcome.status === "succeeded") store.reports.resolveBatch(key, "settled");
      else if (outcome.status === "failed") {
        this.#log.warn({ key, error: outcome.reason }, "report batch failed; reports will be sent again");
        store.reports.resolveBatch(key, "ready");
      }
    }
  }

  async #settledPeriods(bookingIds: string[]): Promise<Map<string, number>> {
    const { client, addresses } = this.#d.chain;
    const streams = await Promise.all(
      bookingIds.map((id) =>
        client.readContract({
          address: addresses.escrow,
          abi: escrowManagerAbi,
          functionName: "streamOf",
          args: [BigInt(id)],
        }),
      ),
    );
    return new Map(bookingIds.map((id, i) => [id, streams[i]!.settledPeriods]));
  }

  /** The entries the contract accepts as one batch: simulated, halving to isolate a refused report. */
  async #viable<E extends { report: SlaReport; signatures: Hex[]; range: Range }>(entries: E[]): Promise<E[]> {
    const { client, addresses } = this.#d.chain;
    try {
      await client.call({ account: this.#d.account, to: addresses.sla, data: encodeSubmit(entries) });
      return entries;
    } catch (error) {
      if (entries.length === 1) {
        this.#log.debug({ topic: entries[0]!.range.topic, error: describeError(error) }, "report refused for now");
        return [];
      }
      const half = Math.ceil(entries.length / 2);
      const first = await this.#viable(entries.slice(0, half));
      // A later period of the same booking may only go with the earlier ones it follows.
      const second = await this.#viable(entries.slice(half));
      return [...first, ...second];
    }
  }

  /** Report topics: `report-<bookingId>-<first>-<last>`, open until settled or past their window. */
  topicKind(): TopicKind {
    const { chain, store } = this.#d;
    return {
      recover: async (topic, figures, signature) => {
        const { bookingId, first, last } = parseTopic(topic);
        if (!isRangeFigures(figures, last - first + 1)) return undefined;
        return recoverReportSigner(chain, slaReport(BigInt(bookingId), first, periodsOf(figures)), signature);
      },
      isSigner: (signer) => store.signers.has(chain.addresses.sla, signer),
      isOpen: (topic) => {
        const { bookingId, first, last } = parseTopic(topic);
        const booking = store.bookings.get(bookingId);
        if (!booking || last < booking.settledPeriods) return false;
        for (let period = Math.max(first, booking.settledPeriods); period <= last; period++) {
          const state = store.reports.get(bookingId, period)?.state;
          if (state !== "settled" && state !== "expired") return true;
        }
        return false;
      },
    };
  }
}

/** A range a quorum signed, ready to go on chain. */
interface Range {
  topic: string;
  bookingId: string;
  first: number;
  last: number;
  rows: ReportRecord[];
  /** Its last period, as a candidate for reporting now. */
  candidate: Candidate;
}

const UINT32_MAX = 2 ** 32 - 1;

/** Exactly the three lists a report signs, `periods` uint32 entries each (uptime at most 100 %). */
function isRangeFigures(figures: Record<string, unknown>, periods: number): figures is RangeFigures {
  const keys = Object.keys(figures).sort();
  return (
    keys.join() === "p95LatencyMs,sampleCount,uptimeBps" &&
    keys.every((k) => {
      const list = figures[k];
      return (
        Array.isArray(list) &&
        list.length === periods &&
        list.every((v) => Number.isInteger(v) && v >= 0 && v <= UINT32_MAX && (k !== "uptimeBps" || v <= 10_000))
      );
    })
  );
}

export function reportTopic(bookingId: string, first: number, last: number): string {
  return `report-${bookingId}-${first}-${last}`;
}

function parseTopic(topic: string): { bookingId: string; first: number; last: number } {
  const [, bookingId, first, last] = topic.split("-");
  return { bookingId: bookingId!, first: Number(first), last: Number(last ?? first) };
}

function rangeFigures(periods: readonly PeriodFigures[]): RangeFigures {
  return {
    uptimeBps: periods.map((p) => p.uptimeBps),
    p95LatencyMs: periods.map((p) => p.p95LatencyMs),
    sampleCount: periods.map((p) => p.sampleCount),
  };
}

function periodsOf(figures: RangeFigures): PeriodFigures[] {
  return figures.uptimeBps.map((uptimeBps, i) => ({
    uptimeBps,
    p95LatencyMs: figures.p95LatencyMs[i]!,
    sampleCount: figures.sampleCount[i]!,
  }));
}

/** The node's EIP-712 signature of `report`, as SLAEnforcement verifies it. */
export function signReport(
  chain: Pick<ChainContext, "account" | "chainId" | "addresses">,
  report: SlaReport,
): Promise<Hex> {
  return signSlaReport(chain.account, chain.chainId, chain.addresses.sla, report);
}

export function recoverReportSigner(
  chain: Pick<ChainContext, "chainId" | "addresses">,
  report: SlaReport,
  signature: Hex,
): Promise<string> {
  return recoverSlaReportSigner(chain.chainId, chain.addresses.sla, report, signature);
}

/** How a node batches a booking's periods into reports. */
export interface RangePolicy {
  periodsPerReport: number;
  /** How long a booking's oldest unreported period may wait for more to join it. */
  maxWaitSeconds: number;
  delaySeconds: number;
  periodSeconds: number;
}

/**
 * The range a node would propose for a booking now: its unreported periods from the first open one
 * (`candidates`, in order), each measured here (`measured`), once there are enough of them, the
 * oldest has waited long enough, they reach the booking's last period, or one of them missed the
 * booked SLA (`terms`) by this node's figures: the consumer's credit does not wait for a fuller report.
 */
export function dueRange(
  candidates: Candidate[],
  now: number,
  policy: RangePolicy,
  measured: (candidate: Candidate) => PeriodFigures | undefined,
  terms: { uptimeTargetBps: number; maxLatencyMs: number } | undefined,
): { first: number; last: number } | undefined {
  const first = candidates[0];
  if (!first) return undefined;
  let count = 0;
  let missed = false;
  for (const c of candidates) {
    if (c.period !== first.period + count || count === policy.periodsPerReport) break;
    const figures = measured(c);
    if (!figures) break;
    count++;
    if (terms && !meetsSla(figures, terms)) {
      missed = true;
      break;
    }
  }
  if (count === 0) return undefined;
  const last = first.period + count - 1;
  const full = count === policy.periodsPerReport;
  const waited = now - first.end - policy.delaySeconds >= policy.maxWaitSeconds;
  const final = last === periodCount(first.startedAt, first.endsAt, policy.periodSeconds) - 1;
  return full || waited || final || missed ? { first: first.period, last } : undefined;
}

function encodeSubmit(entries: { report: SlaReport; signatures: Hex[] }[]): Hex {
  return encodeFunctionData({
    abi: sLAEnforcementAbi,
    functionName: "submitReports",
    args: [entries.map((e) => e.report), entries.map((e) => e.signatures)],
  });
}
