/**
 * Signs and broadcasts: queued transactions get a gas estimate (a revert fails them here, using no
 * nonce), the next nonce and the current fees; the signed bytes are stored before they are
 * broadcast, so a crash between the two loses nothing and doubles nothing.
 */
import { type Address, formatEther, keccak256, parseGwei } from "viem";

import { type ChainContext, describeError } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { TxAttempt, TxRecord, TxStore } from "../store/txs.ts";
import { crashPoint } from "../faults.ts";
import { classifyRpcError, decodeRevert } from "./rpc-errors.ts";

export interface Fees {
  maxFee: bigint;
  priority: bigint;
}

export interface BroadcastOptions {
  maxFeeGwei: number;
}

export class Broadcaster {
  readonly #txs: TxStore;
  readonly #chain: ChainContext;
  readonly #options: BroadcastOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  /** When this process broadcast each signed version (after a restart, every stored one is sent again). */
  readonly #broadcast = new Map<string, number>();
  #fundsMissingUntil = 0;

  constructor(txs: TxStore, chain: ChainContext, options: BroadcastOptions, log: Logger, metrics: Metrics) {
    this.#txs = txs;
    this.#chain = chain;
    this.#options = options;
    this.#log = log;
    this.#metrics = metrics;
  }

  get #address(): Address {
    return this.#chain.account.address;
  }

  get feeCap(): bigint {
    return parseGwei(String(this.#options.maxFeeGwei));
  }

  /** How long ago this process broadcast a signed version, or undefined if it has not. */
  broadcastAgeMs(hash: string): number | undefined {
    const at = this.#broadcast.get(hash);
    return at === undefined ? undefined : Date.now() - at;
  }

  /** Estimates, signs and broadcasts every queued transaction, in order, with consecutive nonces. */
  async sendQueued(): Promise<void> {
    if (Date.now() < this.#fundsMissingUntil) return;
    const queued = this.#txs.inState("queued");
    if (queued.length === 0) return;
    const { client } = this.#chain;
    const fees = await client.estimateFeesPerGas();
    const maxFee = fees.maxFeePerGas > this.feeCap ? this.feeCap : fees.maxFeePerGas;
    const priority = fees.maxPriorityFeePerGas > maxFee ? maxFee : fees.maxPriorityFeePerGas;
    let nonce = await this.#nextNonce();
    for (const tx of queued) {
      let estimate: bigint;
      try {
        estimate = await client.estimateGas({ account: this.#address, to: tx.to, data: tx.data, value: tx.value });
      } catch (error) {
        if (classifyRpcError(error) !== "reverted") throw error;
        const reason = decodeRevert(error);
        this.#txs.fail(tx.id, reason);
        this.#metrics.txs.inc({ event: "failed" });
        this.#log.info({ key: tx.key, reason }, "transaction would revert: not sent");
        continue;
      }
      // Headroom for state that changes between the estimate and inclusion.
      const gas = (estimate * 12n) / 10n + 10_000n;
      this.#txs.setGas(tx.id, gas);
      if (!(await this.sign({ ...tx, gas }, nonce, { maxFee, priority }))) return;
      nonce++;
    }
  }

  /** After the chain's pending nonce and every nonce this node has in flight. */
  async #nextNonce(): Promise<number> {
    const inFlight = this.#txs.maxNonceInFlight();
    const pending = await this.#chain.client.getTransactionCount({ address: this.#address, blockTag: "pending" });
    return Math.max(pending, inFlight === undefined ? 0 : inFlight + 1);
  }

  /** Signs `tx` with `nonce`, stores the signed bytes, then broadcasts them. False if it could not be sent. */
  async sign(tx: TxRecord, nonce: number, fees: Fees): Promise<boolean> {
    const raw = await this.#chain.account.signTransaction({
      type: "eip1559",
      chainId: this.#chain.chainId,
      nonce,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      gas: tx.gas!,
      maxFeePerGas: fees.maxFee,
      maxPriorityFeePerGas: fees.priority,
    });
    const attempt: TxAttempt = {
      hash: keccak256(raw),
      txId: tx.id,
      raw,
      maxFee: fees.maxFee,
      priorityFee: fees.priority,
      signedMs: Date.now(),
    };
    this.#txs.recordAttempt(attempt, nonce);
    crashPoint("after-sign", tx.key);
    return this.broadcast({ ...tx, nonce }, attempt);
  }

  /** Broadcasts a stored signed version. False if it could not be sent now. */
  async broadcast(tx: TxRecord, attempt: TxAttempt): Promise<boolean> {
    try {
      await this.#chain.client.sendRawTransaction({ serializedTransaction: attempt.raw });
    } catch (error) {
      if (classifyRpcError(error) !== "rejected") {
        this.#log.warn(
          { key: tx.key, error: describeError(error) },
          "broadcast failed; it will be retried after a receipt check",
        );
        return false;
      }
      return this.#rejected(tx, attempt, error);
    }
    this.#broadcast.set(attempt.hash, Date.now());
    crashPoint("after-send", tx.key);
    this.#metrics.txs.inc({ event: "sent" });
    this.#log.debug({ key: tx.key, hash: attempt.hash, nonce: tx.nonce }, "transaction sent");
    return true;
  }

  /**
   * The node refused the transaction: the chain's state says why. Already known, or its nonce
   * already used: sent before (receipts tell the rest). Not enough money for gas: wait until funded.
   */
  async #rejected(tx: TxRecord, attempt: TxAttempt, error: unknown): Promise<boolean> {
    const { client } = this.#chain;
    const [known, nonce, balance] = await Promise.all([
      client.getTransaction({ hash: attempt.hash }).then(
        () => true,
        () => false,
      ),
      client.getTransactionCount({ address: this.#address, blockTag: "latest" }),
      client.getBalance({ address: this.#address }),
    ]);
    if (known || nonce > tx.nonce!) {
      this.#broadcast.set(attempt.hash, Date.now());
      return true;
    }
    if (balance < tx.gas! * attempt.maxFee + tx.value) {
      this.#noFunds(tx, balance);
      return false;
    }
    this.#log.warn({ key: tx.key, error: describeError(error) }, "transaction refused; it will be sent again");
    return false;
  }

  #noFunds(tx: TxRecord, balance: bigint): void {
    this.#fundsMissingUntil = Date.now() + 5_000;
    this.#metrics.txs.inc({ event: "no-funds" });
    this.#metrics.walletBalance.set(Number(formatEther(balance)));
    this.#log.error(
      { key: tx.key, account: this.#address, balanceEther: formatEther(balance) },
      "the oracle account cannot pay for gas: fund it; transactions wait",
    );
  }
}
