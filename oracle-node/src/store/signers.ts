import type { Database } from "./db.ts";

/**
 * The registered signers of the QuorumSigned contracts (SLAEnforcement, ResourceVerifier), from
 * their SignerAdded/SignerRemoved events as the chain follower confirms them: the oracle set, read
 * from the chain and never listed by hand. Kept as events, so a reorg rewinds them.
 */
export class SignerStore {
  readonly #db: Database;
  /** Current sets by contract, rebuilt after every change. */
  #sets?: Map<string, Set<string>>;

  constructor(db: Database) {
    this.#db = db;
  }

  record(contract: string, signer: string, added: boolean, block: number, logIndex: number): void {
    this.#db.run(
      "INSERT OR REPLACE INTO signer_events (contract, signer, added, block, log_index) VALUES (?, ?, ?, ?, ?)",
      contract.toLowerCase(),
      signer.toLowerCase(),
      added ? 1 : 0,
      block,
      logIndex,
    );
    this.#sets = undefined;
  }

  rewind(ancestor: number): void {
    this.#db.run("DELETE FROM signer_events WHERE block > ?", ancestor);
    this.#sets = undefined;
  }

  /** The signers `contract` accepts now, sorted by address. */
  of(contract: string): string[] {
    return [...(this.#current().get(contract.toLowerCase()) ?? [])].sort();
  }

  has(contract: string, signer: string): boolean {
    return this.#current().get(contract.toLowerCase())?.has(signer.toLowerCase()) ?? false;
  }

  #current(): Map<string, Set<string>> {
    if (this.#sets) return this.#sets;
    const sets = new Map<string, Set<string>>();
    const events = this.#db.all<{ contract: string; signer: string; added: number }>(
      "SELECT contract, signer, added FROM signer_events ORDER BY block, log_index",
    );
    for (const { contract, signer, added } of events) {
      const set = sets.get(contract) ?? new Set<string>();
      if (added) set.add(signer);
      else set.delete(signer);
      sets.set(contract, set);
    }
    this.#sets = sets;
    return sets;
  }
}
