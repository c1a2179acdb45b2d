/** Display formatting shared by every page. Amounts are exact (bigint) until the last step. */
import type { Cloud, ObjectStorageApi } from "@d-cloudx/sdk/metadata";
import { formatUnits } from "viem";

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const usdPrecise = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 4 });

/** `0x1234…abcd`. */
export function shortenAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A USD amount given as a decimal string (subgraph BigDecimal) or number. Sub-cent amounts keep 4 decimals. */
export function formatUsd(value: string | number): string {
  const amount = typeof value === "string" ? Number(value) : value;
  if (!Number.isFinite(amount)) return "–";
  return amount !== 0 && Math.abs(amount) < 0.01 ? usdPrecise.format(amount) : usd.format(amount);
}

/** A USD amount with 8 decimals, as the contracts and Chainlink feeds use. */
export function formatUsdE8(value: bigint): string {
  return formatUsd(formatUnits(value, 8));
}

/** A token amount in its smallest unit, with at most `maxDecimals` decimals (rounded down) and its symbol. */
export function formatToken(amount: bigint, decimals: number, symbol: string, maxDecimals = 6): string {
  const text = formatUnits(amount, decimals);
  const [whole = "0", fraction = ""] = text.split(".");
  const kept = fraction.slice(0, maxDecimals).replace(/0+$/, "");
  const grouped = BigInt(whole.replace("-", "")).toLocaleString("en-US");
  const sign = whole.startsWith("-") ? "-" : "";
  const shown = `${sign}${grouped}${kept ? `.${kept}` : ""}`;
  return `${shown === "0" && amount > 0n ? `<${1 / 10 ** maxDecimals}` : shown} ${symbol}`;
}

/** Basis points as a percentage: 9950 → "99.5 %". */
export function formatBps(bps: number | bigint): string {
  return `${(Number(bps) / 100).toLocaleString("en-US", { maximumFractionDigits: 2 })} %`;
}

const DURATION_UNITS = [
  ["d", 86_400],
  ["h", 3_600],
  ["min", 60],
  ["s", 1],
] as const;

/**
 * A duration in seconds, in its largest unit and the next one if not zero: "2 h 5 min", "3 d 4 h",
 * "1 h" (for 1 h 0 min 18 s: never "1 h 18 s"), "45 s".
 */
export function formatDuration(seconds: number | bigint): string {
  const total = Math.max(0, Math.floor(Number(seconds)));
  const index = DURATION_UNITS.findIndex(([, size]) => total >= size);
  if (index === -1) return "0 s";
  const [unit, size] = DURATION_UNITS[index]!;
  const shown = `${Math.floor(total / size)} ${unit}`;
  const next = DURATION_UNITS[index + 1];
  const rest = next ? Math.floor((total % size) / next[1]) : 0;
  return rest > 0 ? `${shown} ${rest} ${next![0]}` : shown;
}

/** A unix timestamp (seconds) as local date and time. */
export function formatDate(timestamp: number | bigint | string): string {
  return new Date(Number(timestamp) * 1000).toLocaleString("en-US", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

/** "5 min ago", "in 2 h" relative to `now` (seconds). */
export function formatRelative(timestamp: number | bigint | string, now: number): string {
  const delta = Number(timestamp) - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

const CLOUD_NAMES: Record<Cloud, string> = {
  aws: "AWS",
  azure: "Azure",
  gcp: "Google Cloud",
  local: "Own hardware",
  other: "Other",
};

/** A metadata document's cloud as people name it, the same everywhere; an unknown value as given. */
export function cloudName(cloud: string): string {
  return CLOUD_NAMES[cloud as Cloud] ?? cloud;
}

const STORAGE_API_NAMES: Record<ObjectStorageApi, string> = {
  s3: "S3",
  "azure-blob": "Azure Blob Storage",
  gcs: "Google Cloud Storage",
};

/** An object storage listing's API as people name it; an unknown value as given. */
export function storageApiName(api: string): string {
  return STORAGE_API_NAMES[api as ObjectStorageApi] ?? api;
}
