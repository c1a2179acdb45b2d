/**
 * Confirms transactions in flight: the receipts of every signed version are looked up (one
 * batched request), and a receipt `confirmations` deep settles the transaction as mined, with the
 * decoded reason when it reverted. A lookup that fails throws: it does not mean "not mined".
 */
import { type Hex, type TransactionReceipt, TransactionReceiptNotFoundError } from "viem";

import type { ChainContext } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { TxAttempt, TxRecord, TxStore } from "../store/txs.ts";
import { decodeRevert } from "./rpc-errors.ts";

export interface InFlight {
  tx: TxRecord;
  attempts: TxAttempt[];
}

export class Confirmer {
  readonly #txs: TxStore;
  readonly #chain: ChainContext;
  readonly #confirmations: number;
  readonly #log: Logger;
  readonly #metrics: Metrics;

  constructor(txs: TxStore, chain: ChainContext, confirmations: number, log: Logger, metrics: Metrics) {
    this.#txs = txs;
    this.#chain = chain;
    this.#confirmations = confirmations;
    this.#log = log;
    this.#metrics = metrics;
  }

  /** Settles what was mined deep enough; returns the transactions not mined yet, in nonce order. */
  async check(): Promise<InFlight[]> {
    const inFlight = this.#txs.inState("sent").map((tx) => ({ tx, attempts: this.#txs.attempts(tx.id) }));
    if (inFlight.length === 0) return [];
    const head = await this.#chain.client.getBlockNumber();
    const receipts = await Promise.all(inFlight.map(({ attempts }) => this.#findReceipt(attempts)));
    const notMined: InFlight[] = [];
    for (const [i, entry] of inFlight.entries()) {
      const receipt = receipts[i];
      if (!receipt) notMined.push(entry);
      else if (receipt.blockNumber + BigInt(this.#confirmations) <= head) await this.#mined(entry.tx, receipt);
    }
    return notMined;
  }

  async #mined(tx: TxRecord, receipt: TransactionReceipt): Promise<void> {
    const success = receipt.status === "success";
    this.#txs.mined(tx.id, {
      hash: receipt.transactionHash,
      block: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      success,
      error: success ? null : await this.#revertReason(tx, receipt.blockNumber),
    });
    this.#metrics.txs.inc({ event: success ? "mined" : "reverted" });
    this.#log.info(
      { key: tx.key, hash: receipt.transactionHash, block: receipt.blockNumber, success },
      "transaction mined",
    );
  }

  /** The receipt of whichever version was mined. */
  async #findReceipt(attempts: TxAttempt[]): Promise<TransactionReceipt | undefined> {
    for (const attempt of attempts) {
      const receipt = await this.#chain.client
        .getTransactionReceipt({ hash: attempt.hash as Hex })
        .catch((error: unknown) => {
          if (error instanceof TransactionReceiptNotFoundError) return undefined;
          throw error;
        });
      if (receipt) return receipt;
    }
    return undefined;
  }

  async #revertReason(tx: TxRecord, blockNumber: bigint): Promise<string> {
    try {
      await this.#chain.client.call({ account: this.#chain.account.address, to: tx.to, data: tx.data, blockNumber });
      return "reverted";
    } catch (error) {
      return decodeRevert(error);
    }
  }
}
