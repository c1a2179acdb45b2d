/**
 * The node's state: one SQLite file (db.ts) behind one store per table, each with typed methods.
 * Nothing outside this folder writes SQL.
 */
import { AttestationStore } from "./attestations.ts";
import { BookingStore } from "./bookings.ts";
import { CursorStore } from "./cursor.ts";
import { Database } from "./db.ts";
import { ReportStore } from "./reports.ts";
import { ResourceStore } from "./resources.ts";
import { SampleStore } from "./samples.ts";
import { SignatureStore } from "./signatures.ts";
import { SignerStore } from "./signers.ts";
import { TargetStore } from "./targets.ts";
import { TxStore } from "./txs.ts";

export class Store {
  readonly #db: Database;
  readonly bookings: BookingStore;
  readonly resources: ResourceStore;
  readonly samples: SampleStore;
  readonly reports: ReportStore;
  readonly attestations: AttestationStore;
  readonly txs: TxStore;
  readonly cursor: CursorStore;
  readonly signers: SignerStore;
  readonly signatures: SignatureStore;
  readonly targets: TargetStore;

  constructor(file: string) {
    this.#db = new Database(file);
    this.bookings = new BookingStore(this.#db);
    this.resources = new ResourceStore(this.#db);
    this.samples = new SampleStore(this.#db);
    this.reports = new ReportStore(this.#db);
    this.attestations = new AttestationStore(this.#db);
    this.txs = new TxStore(this.#db);
    this.cursor = new CursorStore(this.#db);
    this.signers = new SignerStore(this.#db);
    this.signatures = new SignatureStore(this.#db);
    this.targets = new TargetStore(this.#db);
  }

  /** Runs `work` in one SQLite transaction (nested calls join the outer one). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work);
  }

  /**
   * Binds the state file to one deployment (its marketplace address): a file of another
   * deployment is refused, so a node never mixes two chains' bookings.
   */
  bindDeployment(marketplace: string, dataDir: string): void {
    const known = this.#db.getMeta("marketplace");
    if (known && known !== marketplace) {
      throw new Error(
        `${dataDir} holds the state of another deployment (marketplace ${known}); use another ORACLE_DATA_DIR`,
      );
    }
    this.#db.setMeta("marketplace", marketplace);
  }

  close(): void {
    this.#db.close();
  }
}
