import type { Database } from "./db.ts";

export type AttestationState = "verified" | "submitted" | "failed";

export interface AttestationRecord {
  state: AttestationState;
  expiresAt: number | null;
  txKey: string | null;
}

/** The `attestations` table: per resource and metadata version, what the verifier contract holds. */
export class AttestationStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(resourceId: string, version: number): AttestationRecord | undefined {
    const row = this.#db.get<{ state: AttestationState; expires_at: number | null; tx_key: string | null }>(
      "SELECT state, expires_at, tx_key FROM attestations WHERE resource_id = ? AND metadata_version = ?",
      resourceId,
      version,
    );
    return row && { state: row.state, expiresAt: row.expires_at, txKey: row.tx_key };
  }

  /** The contract emitted ResourceVerified. */
  verified(resourceId: bigint, version: number, expiresAt: number): void {
    this.#db.run(
      `INSERT INTO attestations (resource_id, metadata_version, expires_at, state) VALUES (?, ?, ?, 'verified')
       ON CONFLICT(resource_id, metadata_version) DO UPDATE SET expires_at = excluded.expires_at, state = 'verified'`,
      String(resourceId),
      version,
      expiresAt,
    );
  }

  submitted(resourceId: string, version: number, txKey: string): void {
    this.#db.run(
      `INSERT INTO attestations (resource_id, metadata_version, state, tx_key) VALUES (?, ?, 'submitted', ?)
       ON CONFLICT(resource_id, metadata_version) DO UPDATE SET state = 'submitted', tx_key = excluded.tx_key`,
      resourceId,
      version,
      txKey,
    );
  }

  failed(resourceId: string, version: number): void {
    this.#db.run(
      "UPDATE attestations SET state = 'failed' WHERE resource_id = ? AND metadata_version = ?",
      resourceId,
      version,
    );
  }
}
