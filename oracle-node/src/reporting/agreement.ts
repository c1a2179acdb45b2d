/**
 * How the configured oracles agree on one statement (an SLA period report, a resource attestation,
 * a consumer-fault statement) so that a quorum signs the same figures. Each statement has a
 * proposer, chosen in turn among the oracles sorted by address (starting at `seed mod n`, so the
 * work spreads); if the proposer stays silent for `takeoverMs`, the next oracle in turn may propose
 * too. The proposer signs its own figures; every other oracle signs the proposal when it is close
 * enough to its own (`acceptable`). A statement only one oracle can make (a provisioning
 * confirmation: only the node that provisioned knows where the access details are) is `propose`d by
 * it and `endorse`d by the others after their own check. Each oracle signs at most one set of
 * figures per statement, once, and publishes the signature through the exchange (the relay); this
 * class decides what to sign, the exchange only carries it. With a single oracle it simply signs.
 */
import type { Logger } from "../log.ts";
import type { Relay, SignedFile } from "./relay.ts";

export type Figures = Record<string, string | number>;

export interface Statement<F extends Figures> {
  topic: string;
  /** Spreads the proposer role: the first proposer is oracle `seed mod n`. */
  seed: bigint;
  /** How long ago the statement could first be made. */
  elapsedMs: number;
  /** This node's own figures, or undefined if it has none (then it only gathers). */
  mine: F | undefined;
  acceptable(proposal: F): boolean;
  sign(figures: F): Promise<`0x${string}`>;
  /** The signer of `signature` over `figures`, or undefined if it does not verify. */
  recover(figures: F, signature: `0x${string}`): Promise<string | undefined>;
  /** Whether the contract accepts signatures from `signer`; others are left out. */
  registered(signer: string): Promise<boolean>;
}

/** How a statement is signed and checked, whoever proposes it. */
export type Signing<F extends Figures> = Pick<Statement<F>, "topic" | "sign" | "recover" | "registered">;

export interface Agreed<F extends Figures> {
  figures: F;
  /** Valid signatures over `figures`, ordered by ascending signer address (as the contracts require). */
  signatures: { signer: string; signature: `0x${string}` }[];
  /** Whether this node proposed the figures (the proposer submits first). */
  proposedHere: boolean;
}

export class Agreement {
  readonly #relay?: Relay;
  readonly #self: string;
  readonly #oracles: string[];
  readonly #takeoverMs: number;
  readonly #log: Logger;

  constructor(self: string, oracles: string[], takeoverMs: number, log: Logger, relay?: Relay) {
    this.#self = self.toLowerCase();
    this.#oracles = [...new Set([...oracles.map((o) => o.toLowerCase()), this.#self])].sort();
    this.#takeoverMs = takeoverMs;
    this.#log = log;
    this.#relay = relay;
    if (this.#oracles.length > 1 && !relay) throw new Error("Several oracles need a relay folder (reporting.relayDir)");
  }

  get oracles(): readonly string[] {
    return this.#oracles;
  }

  /** Signs what this node should sign for the statement, and returns the best-supported figures. */
  async advance<F extends Figures>(statement: Statement<F>): Promise<Agreed<F> | undefined> {
    if (!this.#relay) {
      if (!statement.mine) return undefined;
      return {
        figures: statement.mine,
        signatures: [{ signer: this.#self, signature: await statement.sign(statement.mine) }],
        proposedHere: true,
      };
    }
    const files = await this.#verified(statement);
    const proposers = this.#proposers(statement);
    let proposal = proposers.map((p) => files.get(p)).find((f) => f !== undefined);
    const mineSigned = files.get(this.#self);
    if (!proposal && proposers.includes(this.#self) && statement.mine && !mineSigned) {
      proposal = await this.#publish(statement, statement.mine);
      files.set(this.#self, proposal);
    }
    if (!proposal) return undefined;
    const figures = proposal.figures as F;
    if (!mineSigned && statement.mine && statement.acceptable(figures)) {
      files.set(this.#self, await this.#publish(statement, figures));
    } else if (!mineSigned && statement.mine) {
      this.#log.warn(
        { topic: statement.topic, proposal: figures, mine: statement.mine },
        "not co-signing: figures too far from ours",
      );
    }
    const key = JSON.stringify(figures);
    const signatures = [...files.values()]
      .filter((f) => JSON.stringify(f.figures) === key)
      .map((f) => ({ signer: f.signer.toLowerCase(), signature: f.signature }))
      .sort((a, b) => (a.signer < b.signer ? -1 : 1));
    return { figures, signatures, proposedHere: proposal.signer.toLowerCase() === this.#self };
  }

  /**
   * Signs `figures` for a statement only this node can make (once per statement) and returns the
   * valid signatures over them so far, ordered by signer.
   */
  async propose<F extends Figures>(statement: Signing<F>, figures: F): Promise<`0x${string}`[]> {
    if (this.#relay && !(await this.#verified(statement)).has(this.#self)) await this.#publish(statement, figures);
    return this.signaturesFor(statement, figures);
  }

  /**
   * Co-signs the figures another oracle proposed for a statement, once `accept` (this node's own
   * check) agrees with them. Alone, there is nobody to endorse.
   */
  async endorse<F extends Figures>(statement: Signing<F>, accept: (figures: F) => Promise<boolean>): Promise<void> {
    if (!this.#relay) return;
    const files = await this.#verified(statement);
    if (files.has(this.#self)) return;
    for (const file of files.values()) {
      if (!(await accept(file.figures as F))) continue;
      await this.#publish(statement, file.figures as F);
      return;
    }
  }

  /**
   * Valid signatures over exactly `figures`, ordered by ascending signer address: from the relay,
   * or this node's own when it signs alone.
   */
  async signaturesFor<F extends Figures>(statement: Signing<F>, figures: F): Promise<`0x${string}`[]> {
    if (!this.#relay) return [await statement.sign(figures)];
    const key = JSON.stringify(figures);
    return [...(await this.#verified(statement)).values()]
      .filter((f) => JSON.stringify(f.figures) === key)
      .sort((a, b) => (a.signer.toLowerCase() < b.signer.toLowerCase() ? -1 : 1))
      .map((f) => f.signature);
  }

  /** Oracles whose turn to propose has come, in turn order. */
  #proposers(statement: Statement<Figures>): string[] {
    const n = this.#oracles.length;
    const turns = Math.min(n, 1 + Math.max(0, Math.floor(statement.elapsedMs / this.#takeoverMs)));
    const first = Number(statement.seed % BigInt(n));
    return Array.from({ length: turns }, (_, i) => this.#oracles[(first + i) % n]!);
  }

  /** Relayed signatures that verify, from configured oracles the contract still accepts. */
  async #verified<F extends Figures>(statement: Omit<Signing<F>, "sign">): Promise<Map<string, SignedFile>> {
    const files = new Map<string, SignedFile>();
    for (const file of this.#relay!.read(statement.topic)) {
      const signer = file.signer.toLowerCase();
      if (!this.#oracles.includes(signer)) continue;
      const recovered = await statement.recover(file.figures as F, file.signature).catch(() => undefined);
      if (recovered?.toLowerCase() !== signer) continue;
      if (await statement.registered(signer)) files.set(signer, file);
    }
    return files;
  }

  async #publish<F extends Figures>(statement: Pick<Signing<F>, "topic" | "sign">, figures: F): Promise<SignedFile> {
    const file: SignedFile = { signer: this.#self, figures, signature: await statement.sign(figures) };
    this.#relay!.write(statement.topic, file);
    return file;
  }
}
