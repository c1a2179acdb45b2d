/**
 * Reads from the D-CloudX subgraph (GraphQL over HTTP) and waits for it to index a block, so that a
 * client that just sent a transaction sees its effect in the next query.
 */

export class SubgraphError extends Error {
  override name = "SubgraphError";
}

/** Runs a GraphQL query; throws in words when the endpoint is unreachable or answers errors. */
export async function querySubgraph<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new SubgraphError(`The subgraph at ${url} is unreachable (${(error as Error).message}).`, { cause: error });
  }
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length)
    throw new SubgraphError(`The subgraph refused the query: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!response.ok || !body.data) throw new SubgraphError(`The subgraph at ${url} answered HTTP ${response.status}.`);
  return body.data;
}

/** The latest block the subgraph has indexed. */
export async function indexedBlock(url: string): Promise<bigint> {
  const data = await querySubgraph<{ _meta: { block: { number: number } } }>(url, "{ _meta { block { number } } }");
  return BigInt(data._meta.block.number);
}

/** Waits until the subgraph has indexed `blockNumber` (a transaction's receipt block). */
export async function waitForIndexing(
  url: string,
  blockNumber: bigint,
  options: { timeoutMs?: number; pollMs?: number; onProgress?: (indexed: bigint) => void } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const indexed = await indexedBlock(url);
    if (indexed >= blockNumber) return;
    options.onProgress?.(indexed);
    if (Date.now() > deadline) {
      throw new SubgraphError(
        `The subgraph has indexed block ${indexed} but not yet ${blockNumber}; try again shortly.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export interface ResourceFilter {
  kind?: string;
  status?: string;
  region?: string;
  cloud?: string;
  minVcpu?: number;
  minMemoryGib?: number;
  /** Only machines with a GPU. */
  gpu?: boolean;
  /** Highest price per hour in USD. */
  maxPricePerHourUsd?: string;
  provider?: string;
  first?: number;
}

/** The `where` argument of the `resources` query for a filter. */
export function resourceWhere(filter: ResourceFilter): Record<string, unknown> {
  const where: Record<string, unknown> = { status: filter.status ?? "LISTED" };
  if (filter.kind) where.kind = filter.kind;
  if (filter.region) where.region = filter.region;
  if (filter.provider) where.provider = filter.provider.toLowerCase();
  if (filter.maxPricePerHourUsd !== undefined) where.pricePerHourUsd_lte = filter.maxPricePerHourUsd;
  const metadata: Record<string, unknown> = {};
  if (filter.cloud) metadata.cloud = filter.cloud;
  if (filter.minVcpu !== undefined) metadata.vcpu_gte = filter.minVcpu;
  if (filter.minMemoryGib !== undefined) metadata.memoryGib_gte = String(filter.minMemoryGib);
  if (filter.gpu) metadata.gpuCount_gt = 0;
  if (Object.keys(metadata).length) where.metadata_ = metadata;
  return where;
}
