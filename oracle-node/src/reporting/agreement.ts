/**
 * How the registered oracles agree on one statement (an SLA period report, a resource attestation)
 * so that a quorum signs the same figures. Each statement has a proposer, chosen in turn among the
 * registered signers sorted by address (starting at `seed mod n`, so the work spreads); while a
 * proposer's turn has come and gone without an acceptable proposal (`takeoverMs`), the next one may
 * propose too. The proposer signs its own figures; every other oracle signs the first proposal, in
 * turn order, that is close enough to its own measurement (`acceptable`), and a proposal too far
 * from it never. Each oracle signs one set of figures per statement, once (board.ts). Alone, an
 * oracle simply signs its own figures.
 */
import type { Hex } from "viem";

import type { Logger } from "../log.ts";
import type { Figures, Signed, StatementBoard } from "./board.ts";

export interface Statement<F extends Figures> {
  topic: string;
  /** Spreads the proposer role: the first proposer is oracle `seed mod n`. */
  seed: bigint;
  /** How long ago the statement could first be made. */
  elapsedMs: number;
  /** This node's own figures, or undefined if it has none (then it signs nothing, only gathers). */
  mine: F | undefined;
  acceptable(proposal: F): boolean;
  sign(figures: F): Promise<Hex>;
}

export interface Agreed<F extends Figures> {
  figures: F;
  /** Valid signatures over `figures`, ordered by ascending signer address (as the contracts require). */
  signatures: Signed[];
  /** Whether this node proposed the figures (the proposer submits first). */
  proposedHere: boolean;
}

export class Agreement {
  readonly #board: StatementBoard;
  readonly #self: string;
  /** The registered signers, sorted by address. */
  readonly #oracles: () => string[];
  readonly #takeoverMs: number;
  readonly #log: Logger;
  /** Topics whose proposals this node declined (said once). */
  readonly #declined = new Set<string>();
  /** When this node first considered each topic. */
  readonly #firstSeen = new Map<string, number>();

  readonly #now: () => number;

  constructor(
    self: string,
    oracles: () => string[],
    takeoverMs: number,
    board: StatementBoard,
    log: Logger,
    now: () => number = Date.now,
  ) {
    this.#now = now;
    this.#self = self.toLowerCase();
    this.#oracles = oracles;
    this.#takeoverMs = takeoverMs;
    this.#board = board;
    this.#log = log;
  }

  /** Signs what this node should sign for the statement, and returns the best-supported figures. */
  async advance<F extends Figures>(statement: Statement<F>): Promise<Agreed<F> | undefined> {
    const known = this.#board.signatures(statement.topic);
    const proposers = this.#proposers(statement, statement.elapsedMs);
    const proposals = proposers.flatMap((p) => known.get(p) ?? []);
    let chosen = known.get(this.#self);
    if (!chosen && statement.mine) {
      const acceptable = proposals.find((p) => statement.acceptable(p.figures as F));
      if (acceptable) chosen = await this.#sign(statement, acceptable.figures as F);
      else if (this.#mayPropose(statement)) chosen = await this.#sign(statement, statement.mine);
      else if (proposals.length > 0 && !this.#declined.has(statement.topic)) {
        if (this.#declined.size >= 10_000) this.#declined.clear();
        this.#declined.add(statement.topic);
        this.#log.warn(
          { topic: statement.topic, proposals: proposals.map((p) => p.figures), mine: statement.mine },
          "not co-signing: figures too far from this node's own measurement",
        );
      }
      if (chosen) known.set(this.#self, chosen);
    }
    // Without figures of its own, the node only gathers what the first proposer's figures got; with
    // figures of its own, it never takes part in figures it declined (it does not submit them either).
    if (!statement.mine) chosen ??= proposals[0];
    if (!chosen) return undefined;
    const figures = chosen.figures as F;
    const proposer = proposers.find((p) => sameFigures(known.get(p)?.figures, figures));
    return { figures, signatures: this.#matching(known, figures), proposedHere: proposer === this.#self };
  }

  /** Open topics starting with `prefix` that other oracles signed (statements this node may co-sign). */
  topicsOf(prefix: string): string[] {
    return this.#board.topicsOf(prefix);
  }

  /** Valid signatures over exactly `figures`, ordered by ascending signer address. */
  signaturesFor(topic: string, figures: Figures): Hex[] {
    return this.#matching(this.#board.signatures(topic), figures).map((s) => s.signature);
  }

  #matching(known: Map<string, Signed>, figures: Figures): Signed[] {
    return [...known.values()]
      .filter((s) => sameFigures(s.figures, figures))
      .sort((a, b) => (a.signer < b.signer ? -1 : 1));
  }

  /**
   * This node's place in the turn order that starts at oracle `seed mod n`, for actions that one
   * oracle at a time is enough for: 0 first; n (after every registered oracle) if it is not one.
   */
  turnOf(seed: bigint): number {
    const oracles = this.#oracles();
    const index = oracles.indexOf(this.#self);
    if (index < 0) return oracles.length;
    const n = oracles.length;
    return (index - Number(seed % BigInt(n)) + n) % n;
  }

  /** Oracles whose turn to propose has come `elapsedMs` after the statement could first be made, in turn order. */
  #proposers(statement: Statement<Figures>, elapsedMs: number): string[] {
    const oracles = this.#oracles();
    const n = oracles.length;
    if (n === 0) return [this.#self];
    const turns = Math.min(n, 1 + Math.max(0, Math.floor(elapsedMs / this.#takeoverMs)));
    const first = Number(statement.seed % BigInt(n));
    return Array.from({ length: turns }, (_, i) => oracles[(first + i) % n]!);
  }

  /**
   * Whether this node may propose its own figures: its turn has come, counted from when the
   * statement could first be made but never faster than this node has been looking at it. When every
   * node comes to a statement late (after downtime, or a jump of the chain's clock), the first in
   * turn still proposes alone first, instead of all proposing at once and none co-signing.
   */
  #mayPropose(statement: Statement<Figures>): boolean {
    const nowMs = this.#now();
    if (!this.#firstSeen.has(statement.topic)) {
      if (this.#firstSeen.size >= 100_000) this.#firstSeen.clear();
      this.#firstSeen.set(statement.topic, nowMs);
    }
    const lookingMs = nowMs - this.#firstSeen.get(statement.topic)!;
    return this.#proposers(statement, Math.min(statement.elapsedMs, lookingMs)).includes(this.#self);
  }

  async #sign<F extends Figures>(statement: Statement<F>, figures: F): Promise<Signed> {
    const own = await this.#board.signOnce(statement.topic, figures, (f) => statement.sign(f as F));
    return { signer: this.#self, figures: own.figures, signature: own.signature };
  }
}

function sameFigures(a: Figures | undefined, b: Figures): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
