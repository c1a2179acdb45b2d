/**
 * How far the subgraph has indexed: one service for the whole app. Whatever needs the subgraph to
 * show a block's changes (a confirmed transaction, a chain event) waits here for that block, then
 * refetches only the queries on screen that the block's events affect (lib/refresh.ts says which).
 * `_meta` is polled only while something waits.
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

interface Waiter {
  block: bigint;
  deadline: number;
  resolve: (indexed: boolean) => void;
}

export class IndexedBlock {
  readonly #client: ApolloClient;
  readonly #intervalMs: number;
  readonly #waiters = new Set<Waiter>();
  #block = 0n;
  #polling = false;

  constructor(client: ApolloClient, intervalMs = 500) {
    this.#client = client;
    this.#intervalMs = intervalMs;
  }

  /** The highest block the subgraph was last seen to have indexed. */
  get block(): bigint {
    return this.#block;
  }

  /** Resolves true once the subgraph has indexed `block`, or false after `timeoutMs`. */
  waitFor(block: bigint, timeoutMs = 30_000): Promise<boolean> {
    if (this.#block >= block) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.#waiters.add({ block, deadline: Date.now() + timeoutMs, resolve });
      void this.#poll();
    });
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      while (this.#waiters.size > 0) {
        try {
          const { data } = await this.#client.query({ query: IndexedBlockQuery, fetchPolicy: "network-only" });
          const block = BigInt(data?._meta?.block.number ?? 0);
          if (block > this.#block) this.#block = block;
        } catch {
          // The subgraph is unreachable for a moment: keep trying until each waiter's deadline.
        }
        for (const waiter of this.#waiters) {
          const indexed = this.#block >= waiter.block;
          if (indexed || Date.now() >= waiter.deadline) {
            this.#waiters.delete(waiter);
            waiter.resolve(indexed);
          }
        }
        if (this.#waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, this.#intervalMs));
      }
    } finally {
      this.#polling = false;
    }
  }
}

const services = new WeakMap<ApolloClient, IndexedBlock>();

/** The one IndexedBlock of `client`. */
export function indexedBlock(client: ApolloClient): IndexedBlock {
  let service = services.get(client);
  if (!service) services.set(client, (service = new IndexedBlock(client)));
  return service;
}

/**
 * Waits for the subgraph to index `block`, then refetches the active queries among `queries`
 * (operation names); queries not on screen are left alone and read fresh when they mount.
 */
export async function refetchAfter(client: ApolloClient, block: bigint, queries: ReadonlySet<string>): Promise<void> {
  if (queries.size === 0) return;
  await indexedBlock(client).waitFor(block);
  const active = [...client.getObservableQueries("active")]
    .map((query) => query.queryName)
    .filter((name): name is string => name !== undefined && queries.has(name));
  if (active.length > 0) await client.refetchQueries({ include: [...new Set(active)] });
}
