/**
 * What every benchmark shares: the machine and its load next to the figures (a figure from a busy
 * machine is not one from a quiet one), percentiles, and a result file that refuses to be written
 * when a phase produced no figure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";

import { REPOSITORY } from "./paths.ts";

export interface MachineContext {
  cores: number;
  cpu: string;
  memoryGib: number;
  freeMemoryGib: number;
  /** 1, 5 and 15 minute load averages. */
  loadAverage: number[];
  node: string;
  at: string;
}

export function machineContext(): MachineContext {
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGib: round(totalmem() / 1024 ** 3),
    freeMemoryGib: round(freemem() / 1024 ** 3),
    loadAverage: loadavg().map(round),
    node: process.version,
    at: new Date().toISOString(),
  };
}

export function describeContext(context: MachineContext): string {
  return (
    `${context.cores} cores (${context.cpu}), ${context.memoryGib} GiB (${context.freeMemoryGib} free), ` +
    `load average ${context.loadAverage.join(" ")}, Node ${context.node}`
  );
}

/** The value at percentile `p` (0–100) of ascending `sorted` values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no values");
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Paths of figures in `value` that are missing or not finite numbers ("a.b", …). */
function missingFigures(value: unknown, path = ""): string[] {
  if (value === null || value === undefined) return [path];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => missingFigures(inner, path ? `${path}.${key}` : key));
}

/**
 * Writes bench-results/<name>.json with the machine context at the start (`before`) and now. Throws,
 * naming them, if any figure is missing or not a number: a phase that did not run fails the bench.
 */
export function writeBenchResult(name: string, figures: Record<string, unknown>, before: MachineContext): string {
  const missing = missingFigures(figures);
  if (missing.length > 0) throw new Error(`${name}: no figure for ${missing.join(", ")}: a phase did not run`);
  const dir = join(REPOSITORY, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const after = machineContext();
  writeFileSync(file, JSON.stringify({ ...figures, machine: { before, after } }, null, 2) + "\n");
  console.log(`\nMachine: ${describeContext(after)}\nWrote ${file}`);
  return file;
}
