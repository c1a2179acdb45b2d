/**
 * The one transaction sender of the node's key. Callers queue work in its outbox by idempotency
 * key and read outcomes from it (outbox.ts); each round the sender confirms what was mined
 * (confirm.ts), re-sends or bumps what is stuck (resend.ts), and signs and broadcasts what is
 * queued (broadcast.ts).
 */
import { type Address, formatEther } from "viem";

import type { ChainContext } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { TxStore } from "../store/txs.ts";
import { Broadcaster } from "./broadcast.ts";
import { Confirmer } from "./confirm.ts";
import { TxOutbox } from "./outbox.ts";
import { Resender } from "./resend.ts";

export interface SenderOptions {
  bumpAfterMs: number;
  bumpPercent: number;
  maxFeeGwei: number;
  /** Receipts deeper than this count as final (0: any receipt). */
  confirmations: number;
}

export class TxSender {
  readonly outbox: TxOutbox;
  readonly #chain: ChainContext;
  readonly #metrics: Metrics;
  readonly #confirmer: Confirmer;
  readonly #resender: Resender;
  readonly #broadcaster: Broadcaster;

  constructor(txs: TxStore, chain: ChainContext, options: SenderOptions, log: Logger, metrics: Metrics) {
    const txLog = log.child({ component: "tx" });
    this.#chain = chain;
    this.#metrics = metrics;
    this.outbox = new TxOutbox(txs, chain.account.address);
    this.#broadcaster = new Broadcaster(txs, chain, options, txLog, metrics);
    this.#confirmer = new Confirmer(txs, chain, options.confirmations, txLog, metrics);
    this.#resender = new Resender(txs, chain, this.#broadcaster, options, txLog, metrics);
  }

  get address(): Address {
    return this.#chain.account.address;
  }

  /** One round: settle what was mined, re-send or bump what is stuck, sign and send what is queued. */
  async tick(): Promise<void> {
    await this.#resender.resend(await this.#confirmer.check());
    await this.#broadcaster.sendQueued();
  }

  async updateBalance(): Promise<bigint> {
    const balance = await this.#chain.client.getBalance({ address: this.address });
    this.#metrics.walletBalance.set(Number(formatEther(balance)));
    return balance;
  }
}
