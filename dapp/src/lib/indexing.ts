/**
 * After a transaction, the subgraph lags the chain by a block or two. `waitForIndexed` polls the
 * subgraph's `_meta` until it has processed the block, so refetched queries show the change.
 */
import type { ApolloClient } from "@apollo/client";

import { graphql } from "../generated/gql/index.ts";

const IndexedBlockQuery = graphql(`
  query IndexedBlock {
    _meta {
      block {
        number
      }
      hasIndexingErrors
    }
  }
`);

export async function indexedBlock(client: ApolloClient): Promise<bigint> {
  const { data } = await client.query({ query: IndexedBlockQuery, fetchPolicy: "network-only" });
  return BigInt(data?._meta?.block.number ?? 0);
}

/** Resolves once the subgraph has indexed `block`, or after `timeoutMs` (the caller refetches anyway). */
export async function waitForIndexed(
  client: ApolloClient,
  block: bigint,
  { timeoutMs = 30_000, intervalMs = 500 } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await indexedBlock(client)) >= block) return true;
    } catch {
      // The subgraph is unreachable for a moment: keep trying until the deadline.
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

/** Waits for `block` to be indexed, then refetches every query on screen. */
export async function refreshAfter(client: ApolloClient, block: bigint): Promise<void> {
  await waitForIndexed(client, block);
  await client.refetchQueries({ include: "active" });
}
