/**
 * Follows the chain from a persisted cursor (block number and hash). Each poll:
 *  1. checks that the cursor is still on the chain: the next block's parent hash must be the
 *     cursor's hash (or, with no new block, the block at the cursor must still have that hash); if
 *     not, a reorg happened and the cursor walks back through the stored hashes to the fork point;
 *  2. reads the watched contracts' logs up to `confirmations` blocks below the head, at most
 *     `maxBlockRange` blocks at a time, so it catches up after downtime in bounded steps;
 *  3. records the logs and moves the cursor in one SQLite transaction.
 */
import type { Block, Log } from "viem";

import { type ChainContext, describeError } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Cursor } from "../store/cursor.ts";
import type { Store } from "../store/index.ts";
import type { EventRecorder } from "./events.ts";

export interface FollowerOptions {
  confirmations: number;
  maxBlockRange: number;
  /** First block to read when there is no cursor (the deployment's earliest start block). */
  startBlock: bigint;
}

export class ChainFollower {
  readonly #store: Store;
  readonly #chain: ChainContext;
  readonly #recorder: EventRecorder;
  readonly #options: FollowerOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  #lastHead?: Block;

  constructor(
    store: Store,
    chain: ChainContext,
    recorder: EventRecorder,
    options: FollowerOptions,
    log: Logger,
    metrics: Metrics,
  ) {
    this.#store = store;
    this.#chain = chain;
    this.#recorder = recorder;
    this.#options = options;
    this.#log = log.child({ component: "follower" });
    this.#metrics = metrics;
  }

  cursor(): Cursor {
    return this.#store.cursor.get() ?? { number: this.#options.startBlock - 1n, hash: null };
  }

  /**
   * One step. Returns the block the node's state now reflects, and whether it is caught up with
   * the confirmed head. Hooks: `onRewind(ancestor)` runs inside the rewind's transaction.
   */
  async poll(onRewind?: (ancestor: bigint) => void): Promise<{ block: bigint; caughtUp: boolean }> {
    const { client, addresses, clock } = this.#chain;
    const head = await client.getBlock({ blockTag: "latest" });
    this.#observeHead(head);
    const target = head.number - BigInt(this.#options.confirmations);
    const cursor = this.cursor();

    if (cursor.hash !== null) {
      const probe = target > cursor.number ? cursor.number + 1n : cursor.number;
      const block = await client.getBlock({ blockNumber: probe }).catch(() => undefined);
      const intact =
        block !== undefined &&
        (probe === cursor.number ? block.hash === cursor.hash : block.parentHash === cursor.hash);
      if (!intact && (block !== undefined || head.number < cursor.number)) {
        const ancestor = await this.#rewind(cursor, onRewind);
        clock.reset();
        return { block: ancestor, caughtUp: false };
      }
      if (!intact) throw new Error(`Block ${probe} is not available yet`);
    }
    if (target <= cursor.number) return { block: cursor.number, caughtUp: true };

    const from = cursor.number + 1n;
    const to =
      target - from >= BigInt(this.#options.maxBlockRange) ? from + BigInt(this.#options.maxBlockRange) - 1n : target;
    const toBlock = await client.getBlock({ blockNumber: to });
    const logs = await client.getLogs({
      address: [addresses.marketplace, addresses.escrow, addresses.sla, addresses.verifier],
      fromBlock: from,
      toBlock: to,
    });
    // A log from another version of block `to` means the chain moved under us: try again.
    if (logs.some((l) => l.blockNumber === to && l.blockHash !== toBlock.hash)) {
      throw new Error(`Block ${to} changed while its logs were read`);
    }
    logs.sort((a, b) => Number(a.blockNumber! - b.blockNumber!) || a.logIndex! - b.logIndex!);
    this.#store.transaction(() => {
      this.#recorder.apply(logs as Log[]);
      const hashes = new Map<bigint, string>([[to, toBlock.hash!]]);
      for (const log of logs) hashes.set(log.blockNumber!, log.blockHash!);
      this.#store.cursor.advance(to, toBlock.hash!, hashes);
    });
    this.#metrics.cursorBlock.set(Number(to));
    if (logs.length) this.#log.debug({ from, to, logs: logs.length }, "logs recorded");
    return { block: to, caughtUp: to === target };
  }

  #observeHead(head: Block): void {
    const parent = this.#lastHead && this.#lastHead.number === head.number! - 1n ? this.#lastHead.timestamp : undefined;
    if (!this.#lastHead || this.#lastHead.hash !== head.hash) this.#chain.clock.observe(head, parent);
    this.#lastHead = head;
    this.#metrics.headBlock.set(Number(head.number));
  }

  /** Walks back through the stored hashes to the newest block still on the chain, and rewinds there. */
  async #rewind(cursor: Cursor, onRewind?: (ancestor: bigint) => void): Promise<bigint> {
    const { client } = this.#chain;
    let ancestor: { number: bigint; hash: string | null } = { number: this.#options.startBlock - 1n, hash: null };
    for (const { number, hash } of this.#store.cursor.storedHashes(cursor.number)) {
      const block = await client.getBlock({ blockNumber: number }).catch((error) => {
        this.#log.debug({ number, error: describeError(error) }, "block not on the chain");
        return undefined;
      });
      if (block?.hash === hash) {
        ancestor = { number, hash };
        break;
      }
    }
    this.#store.transaction(() => {
      this.#store.cursor.rewind(ancestor);
      this.#recorder.rewind(Number(ancestor.number));
      onRewind?.(ancestor.number);
    });
    this.#metrics.reorgs.inc();
    this.#log.warn({ from: cursor.number, to: ancestor.number }, "reorg: rewound the cursor");
    return ancestor.number;
  }
}
