/**
 * Signed statements as this node knows them: its own (persisted before they leave it, one set of
 * figures per topic, ever) and the other oracles' (verified once on arrival, kept in memory and
 * announced again by their signers until they settle). A topic names what is signed:
 * `report-<bookingId>-<firstPeriod>-<lastPeriod>`, `attestation-<resourceId>-<version>`, `provision-<bookingId>`; its
 * kind says how a signature is recovered, which contract's signers count, and whether the topic is
 * still open.
 */
import type { Hex } from "viem";

import { crashPoint } from "../faults.ts";
import type { StatementItem } from "../network/messages.ts";
import type { Figures, OwnSignature } from "../store/signatures.ts";

export type { Figures };

export interface TopicKind {
  /** The signer of `signature` over the topic's `figures`; throws or returns undefined if it does not verify. */
  recover(topic: string, figures: Figures, signature: Hex): Promise<string | undefined>;
  /** Whether the contract that takes these statements accepts `signer` now. */
  isSigner(signer: string): boolean;
  /** Whether the topic can still be acted on (not settled, not expired). */
  isOpen(topic: string): boolean;
}

export interface Signed {
  signer: string;
  figures: Figures;
  signature: Hex;
}

/** What the node does with its own signatures: store them (first one wins) and announce them. */
export interface OwnSignatures {
  get(topic: string): OwnSignature | undefined;
  record(signature: OwnSignature): OwnSignature;
  forget(topic: string): void;
}

/** Other oracles' statements are forgotten this long after they arrived. */
const RETAIN_MS = 24 * 3_600_000;

export class StatementBoard {
  readonly #kinds = new Map<string, TopicKind>();
  readonly #self: string;
  readonly #own: OwnSignatures;
  readonly #announce: (item: StatementItem) => void;
  /** topic → signer → statement, with when it arrived. */
  readonly #received = new Map<string, Map<string, Signed & { atMs: number }>>();

  readonly #onSigned: () => void;

  constructor(
    self: string,
    own: OwnSignatures,
    announce: (item: StatementItem) => void,
    onSigned: () => void = () => {},
  ) {
    this.#self = self.toLowerCase();
    this.#onSigned = onSigned;
    this.#own = own;
    this.#announce = announce;
  }

  /** Topics `<prefix>-…` are of `kind`. */
  register(prefix: string, kind: TopicKind): void {
    this.#kinds.set(prefix, kind);
  }

  kindOf(topic: string): TopicKind | undefined {
    return this.#kinds.get(topic.slice(0, topic.indexOf("-")));
  }

  /**
   * Takes another oracle's statements, all or none: each must be that oracle's own valid signature
   * on a known kind of topic, by a signer its contract accepts, and never a second set of figures
   * for a topic (equivocation). Statements on closed topics are verified but not kept.
   */
  async accept(oracle: string, items: StatementItem[]): Promise<boolean> {
    const verified: StatementItem[] = [];
    for (const item of items) {
      const kind = this.kindOf(item.topic);
      if (!kind || !kind.isSigner(oracle)) return false;
      const known = this.#received.get(item.topic)?.get(oracle);
      if (known) {
        if (JSON.stringify(known.figures) !== JSON.stringify(item.figures)) return false;
        if (known.signature === item.signature) continue;
      }
      const signer = await kind.recover(item.topic, item.figures, item.signature).catch(() => undefined);
      if (signer?.toLowerCase() !== oracle) return false;
      verified.push(item);
    }
    const atMs = Date.now();
    for (const item of verified) {
      if (!this.kindOf(item.topic)!.isOpen(item.topic)) continue;
      const bySigner = this.#received.get(item.topic) ?? new Map();
      bySigner.set(oracle, { signer: oracle, figures: item.figures, signature: item.signature as Hex, atMs });
      this.#received.set(item.topic, bySigner);
    }
    return true;
  }

  /** Open topics starting with `prefix` that other oracles signed. */
  topicsOf(prefix: string): string[] {
    return [...this.#received.keys()].filter((topic) => topic.startsWith(prefix) && this.kindOf(topic)?.isOpen(topic));
  }

  /** Every signature known for a topic whose signer its contract accepts now, this node's own included. */
  signatures(topic: string): Map<string, Signed> {
    const kind = this.kindOf(topic);
    const result = new Map<string, Signed>();
    for (const [signer, entry] of this.#received.get(topic) ?? []) {
      if (kind?.isSigner(signer)) result.set(signer, entry);
    }
    const own = this.#own.get(topic);
    if (own) result.set(this.#self, { signer: this.#self, figures: own.figures, signature: own.signature });
    return result;
  }

  /** This node's signature on the topic, made once with `sign` and announced; a second call returns the first. */
  async signOnce(topic: string, figures: Figures, sign: (figures: Figures) => Promise<Hex>): Promise<OwnSignature> {
    const existing = this.#own.get(topic);
    if (existing) return existing;
    const recorded = this.#own.record({ topic, figures, signature: await sign(figures) });
    this.#onSigned();
    crashPoint("after-statement", topic);
    this.#announce({ topic, figures: recorded.figures, signature: recorded.signature });
    return recorded;
  }

  /** Announces again this node's signatures on topics still open (peers may have missed them). */
  reannounce(own: OwnSignature[]): number {
    let count = 0;
    for (const signature of own) {
      if (!this.kindOf(signature.topic)?.isOpen(signature.topic)) continue;
      this.#announce({ topic: signature.topic, figures: signature.figures, signature: signature.signature });
      count++;
    }
    return count;
  }

  /** Forgets everything said on `topic`: it named a booking a reorg dropped, and now names another. */
  forget(topic: string): void {
    this.#received.delete(topic);
    this.#own.forget(topic);
  }

  /** Forgets other oracles' statements on closed topics, and old ones. */
  prune(nowMs = Date.now()): void {
    for (const [topic, bySigner] of this.#received) {
      const open = this.kindOf(topic)?.isOpen(topic) ?? false;
      for (const [signer, entry] of bySigner) {
        if (!open || nowMs - entry.atMs > RETAIN_MS) bySigner.delete(signer);
      }
      if (bySigner.size === 0) this.#received.delete(topic);
    }
  }
}
