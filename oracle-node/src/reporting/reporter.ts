/**
 * Reports SLA periods. A period is reported once it has ended (plus `delaySeconds`) and while its
 * report window is open (less `windowMarginSeconds`); periods are cut from the escrow stream's
 * start with the deployment's period length, as EscrowManager cuts them.
 *
 * Each report (idempotency key `report-<bookingId>-<period>`) is measured and signed once: its row
 * is written with the figures before the signature leaves the node, and never recomputed. Reports
 * with a quorum of signatures go out in batches of `batchSize` through the transaction sender;
 * before a batch is sent, `streamOf(bookingId).settledPeriods` drops what is already settled, and
 * the batch is simulated (halving it to find any report the contract would refuse).
 */
import { createHash } from "node:crypto";

import { type Hex, encodeFunctionData, recoverTypedDataAddress } from "viem";

import { type SlaReport, slaDomain, slaReportTypes } from "@d-cloudx/sdk";
import { escrowManagerAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
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

type ReportFigures = PeriodFigures & Record<string, number>;

interface Candidate {
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
    const { store, config, agreement, chain, metrics } = this.#d;
    for (const candidate of this.candidates()) {
      const existing = store.reports.get(candidate.bookingId, candidate.period);
      if (existing && existing.state !== "measured") continue;
      const own = existing ? existing.figures : await this.figures(candidate);
      // Recorded before any signature leaves the node: these are the figures this node stands by.
      if (own && !existing) store.reports.recordMeasured(candidate.bookingId, candidate.period, own);
      let uptimeTolerance: number | undefined;
      const elapsedMs = (chain.clock.nowSeconds() - candidate.end - config.reporting.delaySeconds) * 1000;
      const agreed = await agreement.advance<ReportFigures>({
        topic: reportTopic(candidate.bookingId, candidate.period),
        sign: (f) => signReport(chain, report(BigInt(candidate.bookingId), candidate.period, f)),
        seed: BigInt(candidate.bookingId) + BigInt(candidate.period),
        elapsedMs,
        mine: own as ReportFigures | undefined,
        acceptable: (p) =>
          own !== undefined &&
          Math.abs(p.uptimeBps - own.uptimeBps) <= (uptimeTolerance ??= this.#uptimeTolerance(candidate)) &&
          Math.abs(p.p95LatencyMs - own.p95LatencyMs) <= config.reporting.tolerance.p95LatencyMs,
      });
      if (!agreed || agreed.signatures.length < this.#d.quorum()) continue;
      // Another oracle proposed: it submits first; this node steps in only after the takeover delay.
      if (!agreed.proposedHere && elapsedMs < config.reporting.takeoverSeconds * 1000) continue;
      store.reports.markReady(candidate.bookingId, candidate.period, agreed.figures);
      metrics.reportsSigned.inc();
    }
  }

  async #submitReady(): Promise<void> {
    const { store, chain, outbox, config, metrics, agreement } = this.#d;
    const open = new Map(this.candidates().map((c) => [`${c.bookingId}-${c.period}`, c]));
    const ready = store.reports.ready().filter((row) => {
      if (open.has(`${row.bookingId}-${row.period}`)) return true;
      store.reports.setState(row.bookingId, row.period, "expired");
      return false;
    });
    if (ready.length === 0) return;

    const now = chain.clock.nowSeconds();
    // Settled periods as the node last synced them; the chain is asked only for the batches that go.
    const batchable = ready.filter((row) => {
      const candidate = open.get(`${row.bookingId}-${row.period}`)!;
      const done = candidate.settledPeriods;
      // Earlier unsettled periods must be in this batch or past their window (periods settle in order).
      for (let q = done; q < row.period; q++) {
        const inBatch = ready.some((r) => r.bookingId === row.bookingId && r.period === q);
        const { end } = periodBounds(candidate.startedAt, candidate.endsAt, this.#periodSeconds, q);
        if (!inBatch && now < end + this.#windowSeconds) return false;
      }
      return true;
    });

    // Full batches go at once; the rest waits for more reports (larger batches cost less gas per
    // report) until its oldest report has waited `maxBatchWaitSeconds` (at most half the window).
    const oldestEnd = Math.min(...batchable.map((row) => open.get(`${row.bookingId}-${row.period}`)!.end));
    const maxWait = Math.min(config.reporting.maxBatchWaitSeconds, this.#windowSeconds / 2);
    const waited = now - oldestEnd - config.reporting.delaySeconds >= maxWait;
    const { batchSize } = config.reporting;
    const sendable = waited ? batchable.length : batchable.length - (batchable.length % batchSize);
    for (let i = 0; i < sendable; i += batchSize) {
      const settled = await this.#settledPeriods([
        ...new Set(batchable.slice(i, i + batchSize).map((r) => r.bookingId)),
      ]);
      const rows = batchable.slice(i, Math.min(i + batchSize, sendable)).filter((row) => {
        if (row.period >= settled.get(row.bookingId)!) return true;
        store.reports.setState(row.bookingId, row.period, "settled");
        return false;
      });
      if (rows.length === 0) continue;
      const entries = await Promise.all(
        rows.map(async (row) => {
          const figures = row.figures as ReportFigures;
          const signatures = agreement.signaturesFor(reportTopic(row.bookingId, row.period), figures);
          return { row, report: report(BigInt(row.bookingId), row.period, figures), signatures };
        }),
      );
      const viable = await this.#viable(entries);
      if (viable.length === 0) continue;
      const key = `reports-${createHash("sha256")
        .update(viable.map((e) => `report-${e.row.bookingId}-${e.row.period}`).join(","))
        .digest("hex")
        .slice(0, 24)}`;
      const data = encodeSubmit(viable);
      store.transaction(() => {
        outbox.resubmit(key, { to: chain.addresses.sla, data });
        store.reports.markSubmitted(
          viable.map((e) => e.row),
          key,
        );
      });
      metrics.reportsSent.inc(viable.length);
      this.#log.info({ key, reports: viable.length }, "SLA reports submitted");
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
  async #viable<E extends { report: SlaReport; signatures: Hex[]; row: ReportRecord }>(entries: E[]): Promise<E[]> {
    const { client, addresses } = this.#d.chain;
    try {
      await client.call({ account: this.#d.account, to: addresses.sla, data: encodeSubmit(entries) });
      return entries;
    } catch (error) {
      if (entries.length === 1) {
        this.#log.debug(
          { bookingId: entries[0]!.row.bookingId, period: entries[0]!.row.period, error: describeError(error) },
          "report refused for now",
        );
        return [];
      }
      const half = Math.ceil(entries.length / 2);
      const first = await this.#viable(entries.slice(0, half));
      // A later period of the same booking may only go with the earlier ones it follows.
      const second = await this.#viable(entries.slice(half));
      return [...first, ...second];
    }
  }

  /** Report topics: `report-<bookingId>-<period>`, open until settled or past their window. */
  topicKind(): TopicKind {
    const { chain, store } = this.#d;
    return {
      recover: async (topic, figures, signature) => {
        const [bookingId, period] = topic.split("-").slice(1).map(Number);
        if (!isReportFigures(figures)) return undefined;
        return recoverReportSigner(chain, report(BigInt(bookingId!), period!, figures), signature);
      },
      isSigner: (signer) => store.signers.has(chain.addresses.sla, signer),
      isOpen: (topic) => {
        const [, bookingId, period] = topic.split("-");
        const booking = store.bookings.get(bookingId!);
        if (!booking || Number(period) < booking.settledPeriods) return false;
        const state = store.reports.get(bookingId!, Number(period))?.state;
        return state !== "settled" && state !== "expired";
      },
    };
  }
}

const UINT32_MAX = 2 ** 32 - 1;

/** Exactly the three figures a report signs, each a uint32. */
function isReportFigures(figures: Record<string, unknown>): figures is ReportFigures {
  const keys = Object.keys(figures).sort();
  return (
    keys.join() === "p95LatencyMs,sampleCount,uptimeBps" &&
    keys.every(
      (k) => Number.isInteger(figures[k]) && (figures[k] as number) >= 0 && (figures[k] as number) <= UINT32_MAX,
    ) &&
    (figures.uptimeBps as number) <= 10_000
  );
}

export function reportTopic(bookingId: string, period: number): string {
  return `report-${bookingId}-${period}`;
}

/** The node's EIP-712 signature of `report`, as SLAEnforcement verifies it. */
export function signReport(
  chain: Pick<ChainContext, "account" | "chainId" | "addresses">,
  report: SlaReport,
): Promise<Hex> {
  return chain.account.signTypedData({
    domain: slaDomain(chain.chainId, chain.addresses.sla) as { verifyingContract: Hex },
    types: slaReportTypes,
    primaryType: "SlaReport",
    message: report,
  });
}

export function recoverReportSigner(
  chain: Pick<ChainContext, "chainId" | "addresses">,
  report: SlaReport,
  signature: Hex,
): Promise<string> {
  return recoverTypedDataAddress({
    domain: slaDomain(chain.chainId, chain.addresses.sla) as { verifyingContract: Hex },
    types: slaReportTypes,
    primaryType: "SlaReport",
    message: report,
    signature,
  });
}

function report(bookingId: bigint, period: number, f: PeriodFigures): SlaReport {
  return {
    bookingId,
    period,
    uptimeBps: Number(f.uptimeBps),
    p95LatencyMs: Number(f.p95LatencyMs),
    sampleCount: Number(f.sampleCount),
  };
}

function encodeSubmit(entries: { report: SlaReport; signatures: Hex[] }[]): Hex {
  return encodeFunctionData({
    abi: sLAEnforcementAbi,
    functionName: "submitReports",
    args: [entries.map((e) => e.report), entries.map((e) => e.signatures)],
  });
}
