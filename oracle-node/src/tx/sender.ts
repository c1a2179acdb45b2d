/**
 * The one transaction sender of the node's key. Every transaction has an idempotency key
 * (`provision-<bookingId>`, `reports-<…>`): submitting a key twice names the same transaction, so
 * a restart at any point never sends an action twice.
 *
 * Life of a transaction: queued → (gas estimated; a revert fails it here, consuming no nonce) →
 * signed with the next nonce, and the signed bytes stored, in one SQLite transaction → broadcast →
 * mined. Before anything is sent again the receipts of every signed version are checked. A
 * transaction not mined after `bumpAfterMs` is signed again with the same nonce and fees raised by
 * `bumpPercent`. After a restart, signed transactions are broadcast again as they were (the same
 * bytes: the same hash), so a crash between signing and sending loses nothing and doubles nothing.
 */
import {
  type Address,
  BaseError,
  type Hex,
  TransactionReceiptNotFoundError,
  decodeErrorResult,
  formatEther,
  keccak256,
  parseGwei,
} from "viem";

import { escrowManagerAbi, resourceMarketplaceAbi, resourceVerifierAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Database } from "../store/db.ts";

const ERROR_ABI = [...resourceMarketplaceAbi, ...escrowManagerAbi, ...sLAEnforcementAbi, ...resourceVerifierAbi];

export type TxState = "queued" | "sent" | "mined" | "failed";

export interface TxRow {
  id: number;
  key: string;
  to_address: string;
  data: string;
  value: string;
  state: TxState;
  nonce: number | null;
  gas: string | null;
  hash: string | null;
  block: number | null;
  gas_used: string | null;
  success: number | null;
  error: string | null;
  created_ms: number;
  sent_ms: number | null;
  done_ms: number | null;
}

interface AttemptRow {
  hash: string;
  tx_id: number;
  raw: string;
  max_fee: string;
  priority_fee: string;
  signed_ms: number;
}

export interface TxRequest {
  to: Address;
  data: Hex;
  value?: bigint;
}

export interface SenderOptions {
  bumpAfterMs: number;
  bumpPercent: number;
  maxFeeGwei: number;
  /** Receipts deeper than this count as final (0: any receipt). */
  confirmations: number;
}

export class TxSender {
  readonly #db: Database;
  readonly #chain: ChainContext;
  readonly #options: SenderOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  /** Signed transactions already broadcast by this process (after a restart, all are sent again). */
  readonly #broadcast = new Set<string>();
  #fundsMissingUntil = 0;
  /** Called when a transaction is queued, so the sender's loop can start at once. */
  onQueued?: () => void;

  constructor(db: Database, chain: ChainContext, options: SenderOptions, log: Logger, metrics: Metrics) {
    this.#db = db;
    this.#chain = chain;
    this.#options = options;
    this.#log = log.child({ component: "tx" });
    this.#metrics = metrics;
  }

  get address(): Address {
    return this.#chain.account.address;
  }

  /** Queues a transaction under `key`, or returns the one already there. */
  submit(key: string, request: TxRequest): TxRow {
    this.#db.run(
      "INSERT OR IGNORE INTO txs (key, to_address, data, value, state, created_ms) VALUES (?, ?, ?, ?, 'queued', ?)",
      key,
      request.to,
      request.data,
      String(request.value ?? 0n),
      Date.now(),
    );
    this.onQueued?.();
    return this.get(key)!;
  }

  /**
   * Sends a new transaction under a key whose last one failed or reverted (its row is archived
   * under `<key>#<id>`). A key whose transaction is still queued, in flight or succeeded is left alone.
   */
  resubmit(key: string, request: TxRequest): TxRow {
    this.#db.transaction(() => {
      const row = this.get(key);
      if (row && (row.state === "failed" || (row.state === "mined" && row.success === 0))) this.archive(key);
      this.submit(key, request);
    });
    return this.get(key)!;
  }

  /**
   * Moves the transaction under `key` (if any) aside, to `<key>#<id>`, freeing the key. One still
   * queued is dropped; one already signed is cancelled: its nonce is re-sent at once, with higher
   * fees, as an empty transfer to this account.
   */
  archive(key: string): void {
    this.#db.transaction(() => {
      const row = this.get(key);
      if (!row) return;
      this.#db.run("UPDATE txs SET key = key || '#' || id WHERE id = ?", row.id);
      if (row.state === "queued") {
        this.#db.run("UPDATE txs SET state = 'failed', error = 'superseded' WHERE id = ?", row.id);
      } else if (row.state === "sent") {
        this.#db.run(
          "UPDATE txs SET to_address = ?, data = '0x', value = '0', error = 'cancelled' WHERE id = ?",
          this.address,
          row.id,
        );
        this.#db.run("UPDATE tx_attempts SET signed_ms = 0 WHERE tx_id = ?", row.id);
      }
    });
  }

  get(key: string): TxRow | undefined {
    return this.#db.get<TxRow>("SELECT * FROM txs WHERE key = ?", key);
  }

  /**
   * Transactions mined in blocks a reorg dropped are marked failed: their callers look at the chain
   * again and send what is still needed (a blind re-send could act on a booking that changed).
   */
  rewind(ancestor: bigint): void {
    this.#db.run(
      "UPDATE txs SET state = 'failed', error = 'dropped by a reorg', block = NULL WHERE state = 'mined' AND block > ?",
      Number(ancestor),
    );
  }

  /** One round: settle what was mined, re-send or bump what is stuck, sign and send what is queued. */
  async tick(): Promise<void> {
    await this.#checkInFlight();
    await this.#sendQueued();
  }

  async updateBalance(): Promise<bigint> {
    const balance = await this.#chain.client.getBalance({ address: this.address });
    this.#metrics.walletBalance.set(Number(formatEther(balance)));
    return balance;
  }

  async #checkInFlight(): Promise<void> {
    const inFlight = this.#db.all<TxRow>("SELECT * FROM txs WHERE state = 'sent' ORDER BY nonce");
    if (inFlight.length === 0) return;
    const { client } = this.#chain;
    const head = await client.getBlockNumber();
    const attemptsOf = inFlight.map((tx) =>
      this.#db.all<AttemptRow>("SELECT * FROM tx_attempts WHERE tx_id = ? ORDER BY signed_ms", tx.id),
    );
    // Looked up together (one batched request), handled in nonce order.
    const receipts = await Promise.all(attemptsOf.map((attempts) => this.#findReceipt(attempts)));
    for (const [i, tx] of inFlight.entries()) {
      const attempts = attemptsOf[i]!;
      const receipt = receipts[i];
      if (receipt) {
        if (receipt.blockNumber + BigInt(this.#options.confirmations) > head) continue;
        const success = receipt.status === "success";
        this.#db.run(
          "UPDATE txs SET state = 'mined', hash = ?, block = ?, gas_used = ?, success = ?, done_ms = ?, error = ? WHERE id = ?",
          receipt.transactionHash,
          Number(receipt.blockNumber),
          String(receipt.gasUsed),
          success ? 1 : 0,
          Date.now(),
          success ? null : await this.#revertReason(tx, receipt.blockNumber),
          tx.id,
        );
        this.#metrics.txs.inc({ event: success ? "mined" : "reverted" });
        this.#log.info(
          { key: tx.key, hash: receipt.transactionHash, block: receipt.blockNumber, success },
          "transaction mined",
        );
        continue;
      }
      const latest = attempts.at(-1);
      if (!latest) continue;
      if (Date.now() - latest.signed_ms >= this.#options.bumpAfterMs) {
        const chainNonce = await client.getTransactionCount({ address: this.address, blockTag: "latest" });
        if (chainNonce > tx.nonce!) {
          // The nonce was used, and by none of this transaction's versions (their receipts were checked).
          this.#db.run(
            "UPDATE txs SET state = 'failed', error = 'nonce used by another transaction', done_ms = ? WHERE id = ?",
            Date.now(),
            tx.id,
          );
          continue;
        }
        await this.#sign(tx, tx.nonce!, this.#bumped(latest));
        this.#metrics.txs.inc({ event: "bumped" });
        this.#log.warn({ key: tx.key, nonce: tx.nonce }, "transaction not mined in time: re-sent with higher fees");
      } else if (!this.#broadcast.has(latest.hash)) {
        await this.#sendRaw(tx, latest);
      }
    }
  }

  /** The receipt of whichever version was mined; a failed lookup throws (it is not "not mined"). */
  async #findReceipt(attempts: AttemptRow[]) {
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

  async #sendQueued(): Promise<void> {
    if (Date.now() < this.#fundsMissingUntil) return;
    const queued = this.#db.all<TxRow>("SELECT * FROM txs WHERE state = 'queued' ORDER BY id");
    if (queued.length === 0) return;
    const { client } = this.#chain;
    const fees = await client.estimateFeesPerGas();
    const cap = parseGwei(String(this.#options.maxFeeGwei));
    const maxFee = fees.maxFeePerGas > cap ? cap : fees.maxFeePerGas;
    const priority = fees.maxPriorityFeePerGas > maxFee ? maxFee : fees.maxPriorityFeePerGas;
    let nonce = await this.#nextNonce();
    for (const tx of queued) {
      let gas: bigint;
      try {
        gas = await client.estimateGas({
          account: this.address,
          to: tx.to_address as Address,
          data: tx.data as Hex,
          value: BigInt(tx.value),
        });
      } catch (error) {
        if (isFundsError(error)) return this.#noFunds(tx, error);
        if (!isRevert(error)) throw error;
        const reason = decodeRevert(error);
        this.#db.run("UPDATE txs SET state = 'failed', error = ?, done_ms = ? WHERE id = ?", reason, Date.now(), tx.id);
        this.#metrics.txs.inc({ event: "failed" });
        this.#log.info({ key: tx.key, reason }, "transaction would revert: not sent");
        continue;
      }
      // Headroom for state that changes between the estimate and inclusion.
      this.#db.run("UPDATE txs SET gas = ? WHERE id = ?", String((gas * 12n) / 10n + 10_000n), tx.id);
      const sent = await this.#sign({ ...tx, gas: String((gas * 12n) / 10n + 10_000n) }, nonce, { maxFee, priority });
      if (!sent) return;
      nonce++;
    }
  }

  /** After the chain's pending nonce and every nonce this node has in flight. */
  async #nextNonce(): Promise<number> {
    const inFlight = this.#db.get<{ n: number | null }>("SELECT MAX(nonce) AS n FROM txs WHERE state = 'sent'")!.n;
    const pending = await this.#chain.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    return Math.max(pending, inFlight === null ? 0 : inFlight + 1);
  }

  #bumped(latest: AttemptRow): { maxFee: bigint; priority: bigint } {
    const factor = BigInt(100 + this.#options.bumpPercent);
    const cap = parseGwei(String(this.#options.maxFeeGwei));
    const maxFee = (BigInt(latest.max_fee) * factor) / 100n + 1n;
    const priority = (BigInt(latest.priority_fee) * factor) / 100n + 1n;
    return { maxFee: maxFee > cap ? cap : maxFee, priority: priority > maxFee ? maxFee : priority };
  }

  /** Signs `tx` with `nonce`, stores the signed bytes, then broadcasts them. False if it could not be sent. */
  async #sign(tx: TxRow, nonce: number, fees: { maxFee: bigint; priority: bigint }): Promise<boolean> {
    const raw = await this.#chain.account.signTransaction({
      type: "eip1559",
      chainId: this.#chain.chainId,
      nonce,
      to: tx.to_address as Address,
      data: tx.data as Hex,
      value: BigInt(tx.value),
      gas: BigInt(tx.gas!),
      maxFeePerGas: fees.maxFee,
      maxPriorityFeePerGas: fees.priority,
    });
    const attempt: AttemptRow = {
      hash: keccak256(raw),
      tx_id: tx.id,
      raw,
      max_fee: String(fees.maxFee),
      priority_fee: String(fees.priority),
      signed_ms: Date.now(),
    };
    this.#db.transaction(() => {
      this.#db.run(
        "INSERT OR IGNORE INTO tx_attempts (hash, tx_id, raw, max_fee, priority_fee, signed_ms) VALUES (?, ?, ?, ?, ?, ?)",
        attempt.hash,
        tx.id,
        raw,
        attempt.max_fee,
        attempt.priority_fee,
        attempt.signed_ms,
      );
      this.#db.run(
        "UPDATE txs SET state = 'sent', nonce = ?, hash = ?, sent_ms = COALESCE(sent_ms, ?) WHERE id = ?",
        nonce,
        attempt.hash,
        attempt.signed_ms,
        tx.id,
      );
    });
    crashPoint("after-sign", tx.key);
    return this.#sendRaw({ ...tx, nonce }, attempt);
  }

  async #sendRaw(tx: TxRow, attempt: AttemptRow): Promise<boolean> {
    try {
      await this.#chain.client.sendRawTransaction({ serializedTransaction: attempt.raw as Hex });
      this.#broadcast.add(attempt.hash);
      crashPoint("after-send", tx.key);
      this.#metrics.txs.inc({ event: "sent" });
      this.#log.debug({ key: tx.key, hash: attempt.hash, nonce: tx.nonce }, "transaction sent");
      return true;
    } catch (error) {
      const message = describeError(error);
      if (/already known|already imported|known transaction|nonce too low/i.test(message)) {
        // Sent before (by this process before a restart, or by a retried request): receipts tell the rest.
        this.#broadcast.add(attempt.hash);
        return true;
      }
      if (isFundsError(error)) {
        this.#noFunds(tx, error);
        return false;
      }
      this.#log.warn({ key: tx.key, error: message }, "broadcast failed; it will be retried after a receipt check");
      return false;
    }
  }

  #noFunds(tx: TxRow, error: unknown): void {
    this.#fundsMissingUntil = Date.now() + 5_000;
    this.#metrics.txs.inc({ event: "no-funds" });
    void this.updateBalance().catch(() => undefined);
    this.#log.error(
      { key: tx.key, account: this.address, error: describeError(error) },
      "the oracle account cannot pay for gas: fund it; transactions wait",
    );
  }

  async #revertReason(tx: TxRow, blockNumber: bigint): Promise<string> {
    try {
      await this.#chain.client.call({
        account: this.address,
        to: tx.to_address as Address,
        data: tx.data as Hex,
        blockNumber,
      });
      return "reverted";
    } catch (error) {
      return decodeRevert(error);
    }
  }
}

/**
 * Fault injection for the crash tests: ORACLE_CRASH_AT=<after-sign|after-send>:<key prefix> kills the
 * process (SIGKILL: no cleanup, like a power cut) at that point of the first matching transaction.
 */
function crashPoint(point: string, key: string): void {
  const [at, prefix] = (process.env.ORACLE_CRASH_AT ?? "").split(":");
  if (at === point && prefix !== undefined && key.startsWith(prefix)) process.kill(process.pid, "SIGKILL");
}

export function isFundsError(error: unknown): boolean {
  return /insufficient funds|doesn't have enough funds|sender doesn't have enough/i.test(
    error instanceof BaseError ? `${error.shortMessage} ${error.details ?? ""} ${error.message}` : String(error),
  );
}

function isRevert(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return (
    Boolean(error.walk((e) => (e as BaseError).name === "ExecutionRevertedError")) || /revert/i.test(error.message)
  );
}

/** The custom error's name and arguments, when the revert data decodes with a known ABI. */
export function decodeRevert(error: unknown): string {
  const data = findRevertData(error);
  if (data) {
    try {
      const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
      return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(", ")})`;
    } catch {
      return `reverted with ${data.slice(0, 10)}`;
    }
  }
  return describeError(error);
}

function findRevertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  while (current && typeof current === "object") {
    const data = (current as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data as Hex;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      return (data as { data: Hex }).data;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
