import type { Database } from "./db.ts";

export interface ResourceVersion {
  resourceId: string;
  version: number;
  metadataCid: string;
}

/** The `resource_versions` table: each metadata version of the served resources, with its block. */
export class ResourceStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  record(resourceId: bigint, version: number, provider: string, metadataCid: string, block: number): void {
    this.#db.run(
      "INSERT OR REPLACE INTO resource_versions (resource_id, version, provider, metadata_cid, block) VALUES (?, ?, ?, ?, ?)",
      String(resourceId),
      version,
      provider.toLowerCase(),
      metadataCid,
      block,
    );
  }

  /** The provider of a served resource (undefined: not served). */
  providerOf(resourceId: bigint): string | undefined {
    return this.#db.get<{ provider: string }>(
      "SELECT provider FROM resource_versions WHERE resource_id = ? ORDER BY version LIMIT 1",
      String(resourceId),
    )?.provider;
  }

  latestCid(resourceId: bigint): string | undefined {
    return this.#db.get<{ metadata_cid: string }>(
      "SELECT metadata_cid FROM resource_versions WHERE resource_id = ? ORDER BY version DESC LIMIT 1",
      String(resourceId),
    )?.metadata_cid;
  }

  /** The current version of every served resource. */
  latest(): ResourceVersion[] {
    return this.#db
      .all<{ resource_id: string; version: number; metadata_cid: string }>(
        `SELECT resource_id, version, metadata_cid FROM resource_versions v
         WHERE version = (SELECT MAX(version) FROM resource_versions WHERE resource_id = v.resource_id)`,
      )
      .map((r) => ({ resourceId: r.resource_id, version: r.version, metadataCid: r.metadata_cid }));
  }

  /** Forgets versions set by blocks a reorg dropped. */
  rewind(ancestor: number): void {
    this.#db.run("DELETE FROM resource_versions WHERE block > ?", ancestor);
  }
}
