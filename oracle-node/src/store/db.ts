/**
 * The node's state, in one SQLite file through Node's built-in `node:sqlite` (no native addon).
 * Everything the node must not forget across a restart lives here: the chain cursor and recent
 * block hashes, the bookings it serves and how far each got, probe samples, signed reports and
 * every transaction it signed. Writes that belong together happen in one transaction.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

const SCHEMA_VERSION = 3;

/** What version 2 added: the oracle set from the contracts' events, own signed statements, announced probe targets. */
const SCHEMA_V2 = `
-- SignerAdded/SignerRemoved of the QuorumSigned contracts, kept as events so that a reorg rewinds them.
CREATE TABLE IF NOT EXISTS signer_events (
  contract TEXT NOT NULL,
  signer TEXT NOT NULL,
  added INTEGER NOT NULL,
  block INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  PRIMARY KEY (contract, block, log_index)
);
-- Every statement this node signed, stored before the signature leaves it: one set of figures per topic, ever.
CREATE TABLE IF NOT EXISTS signatures (
  topic TEXT PRIMARY KEY,
  figures TEXT NOT NULL,
  signature TEXT NOT NULL,
  signed_ms INTEGER NOT NULL
);
-- Where other oracles said a booking's machine answers probes.
CREATE TABLE IF NOT EXISTS probe_targets (
  booking_id TEXT NOT NULL,
  announcer TEXT NOT NULL,
  target TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (booking_id, announcer)
);
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Hashes of processed blocks (the cursor and blocks that held logs), to find where a reorg forked.
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
-- Each metadata version of the served providers' resources, with the block that set it (rewound on a reorg).
CREATE TABLE IF NOT EXISTS resource_versions (
  resource_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  provider TEXT NOT NULL,
  metadata_cid TEXT NOT NULL,
  block INTEGER NOT NULL,
  PRIMARY KEY (resource_id, version)
);
CREATE TABLE IF NOT EXISTS bookings (
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  provider TEXT NOT NULL,
  hours INTEGER NOT NULL,
  encryption_key TEXT NOT NULL,
  metadata_cid TEXT,
  requested_block INTEGER NOT NULL,
  chain_status TEXT NOT NULL,
  requested_at INTEGER,
  started_at INTEGER,
  ends_at INTEGER,
  settled_periods INTEGER NOT NULL DEFAULT 0,
  stage TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  cloud TEXT,
  instance_id TEXT,
  probe TEXT,
  access_cid TEXT,
  seen_ms INTEGER NOT NULL,
  provisioned_ms INTEGER,
  -- The oracle whose confirmation started the booking (BookingProvisioned): its probe target counts.
  provisioned_by TEXT,
  updated_block INTEGER NOT NULL,
  -- Set when an event touched the booking: its state is then read from the chain.
  needs_sync INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS bookings_stage ON bookings(stage);
CREATE TABLE IF NOT EXISTS samples (
  booking_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_booking ON samples(booking_id, at_ms);
-- One row per period: this node's figures, measured once and never recomputed; from the moment a
-- quorum signs the range report-<bookingId>-<first>-<last> that covers it (range_topic), the agreed ones.
CREATE TABLE IF NOT EXISTS reports (
  booking_id TEXT NOT NULL,
  period INTEGER NOT NULL,
  uptime_bps INTEGER NOT NULL,
  p95_latency_ms INTEGER NOT NULL,
  sample_count INTEGER NOT NULL,
  state TEXT NOT NULL,
  tx_key TEXT,
  updated_ms INTEGER NOT NULL,
  range_topic TEXT,
  PRIMARY KEY (booking_id, period)
);
CREATE INDEX IF NOT EXISTS reports_state ON reports(state);
CREATE TABLE IF NOT EXISTS attestations (
  resource_id TEXT NOT NULL,
  metadata_version INTEGER NOT NULL,
  expires_at INTEGER,
  state TEXT NOT NULL,
  tx_key TEXT,
  PRIMARY KEY (resource_id, metadata_version)
);
-- One row per idempotency key; every signed version of it is in tx_attempts before it is broadcast.
CREATE TABLE IF NOT EXISTS txs (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  to_address TEXT NOT NULL,
  data TEXT NOT NULL,
  value TEXT NOT NULL DEFAULT '0',
  state TEXT NOT NULL,
  nonce INTEGER,
  gas TEXT,
  hash TEXT,
  block INTEGER,
  gas_used TEXT,
  success INTEGER,
  error TEXT,
  created_ms INTEGER NOT NULL,
  sent_ms INTEGER,
  done_ms INTEGER
);
CREATE INDEX IF NOT EXISTS txs_state ON txs(state);
CREATE TABLE IF NOT EXISTS tx_attempts (
  hash TEXT PRIMARY KEY,
  tx_id INTEGER NOT NULL,
  raw TEXT NOT NULL,
  max_fee TEXT NOT NULL,
  priority_fee TEXT NOT NULL,
  signed_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tx_attempts_tx ON tx_attempts(tx_id);
${SCHEMA_V2}`;

export type Row = Record<string, SQLInputValue>;

export class Database {
  readonly sql: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.sql = new DatabaseSync(file);
    // WAL keeps readers and the writer apart; FULL makes every commit durable before it returns,
    // which the transaction log relies on (a signed transaction is on disk before it is broadcast).
    this.sql.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    const fresh = !this.sql.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").get();
    this.sql.exec(fresh ? SCHEMA : "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);");
    const version = fresh ? SCHEMA_VERSION : Number(this.getMeta("schema_version") ?? SCHEMA_VERSION);
    if (version === 1) {
      this.transaction(() => {
        this.sql.exec(`ALTER TABLE bookings ADD COLUMN provisioned_by TEXT; ${SCHEMA_V2}`);
        this.setMeta("schema_version", "2");
      });
    }
    if (version === 1 || version === 2) {
      // Reports now cover ranges of periods: periods agreed one by one are measured again in ranges.
      this.transaction(() => {
        this.sql.exec(
          "ALTER TABLE reports ADD COLUMN range_topic TEXT; UPDATE reports SET state = 'measured' WHERE state = 'ready';",
        );
        this.setMeta("schema_version", "3");
      });
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`State database has schema ${version}; this node needs ${SCHEMA_VERSION}`);
    }
    this.setMeta("schema_version", String(SCHEMA_VERSION));
  }

  /** Runs `work` in one transaction (nested calls join the outer one). */
  transaction<T>(work: () => T): T {
    if (this.#depth > 0) return work();
    this.sql.exec("BEGIN IMMEDIATE");
    this.#depth++;
    try {
      const result = work();
      this.sql.exec("COMMIT");
      return result;
    } catch (error) {
      this.sql.exec("ROLLBACK");
      throw error;
    } finally {
      this.#depth--;
    }
  }

  run(query: string, ...params: SQLInputValue[]): void {
    this.#prepared(query).run(...params);
  }

  get<T>(query: string, ...params: SQLInputValue[]): T | undefined {
    return this.#prepared(query).get(...params) as T | undefined;
  }

  all<T>(query: string, ...params: SQLInputValue[]): T[] {
    return this.#prepared(query).all(...params) as T[];
  }

  #prepared(query: string): StatementSync {
    let statement = this.#statements.get(query);
    if (!statement) {
      statement = this.sql.prepare(query);
      this.#statements.set(query, statement);
    }
    return statement;
  }

  getMeta(key: string): string | undefined {
    return this.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  close(): void {
    if (this.sql.isOpen) this.sql.close();
  }
}
