/**
 * What a node holds against its peers: a token bucket per publishing peer (messages per second),
 * penalty points for misbehaviour that decay with time (fed to gossipsub's peer score as the
 * application-specific score), and a ban list the connection gater consults.
 */
export interface GuardOptions {
  messagesPerSecond: number;
  burst: number;
  banSeconds: number;
}

/** Penalty points halve every five minutes. */
const HALF_LIFE_MS = 5 * 60_000;

export class PeerGuard {
  readonly #options: GuardOptions;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  readonly #penalties = new Map<string, { points: number; atMs: number }>();
  readonly #banned = new Map<string, number>();

  constructor(options: GuardOptions) {
    this.#options = options;
  }

  /** Takes one message from the peer's bucket; false when it is sending faster than allowed. */
  allow(peer: string, nowMs = Date.now()): boolean {
    const { messagesPerSecond, burst } = this.#options;
    const bucket = this.#buckets.get(peer) ?? { tokens: burst, atMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * messagesPerSecond);
    bucket.atMs = nowMs;
    this.#buckets.set(peer, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  penalize(peer: string, points: number, nowMs = Date.now()): void {
    this.#penalties.set(peer, { points: this.points(peer, nowMs) + points, atMs: nowMs });
  }

  /** Current penalty points of a peer, decayed. */
  points(peer: string, nowMs = Date.now()): number {
    const entry = this.#penalties.get(peer);
    if (!entry) return 0;
    return entry.points * 0.5 ** ((nowMs - entry.atMs) / HALF_LIFE_MS);
  }

  ban(peer: string, nowMs = Date.now()): void {
    this.#banned.set(peer, nowMs + this.#options.banSeconds * 1000);
  }

  isBanned(peer: string, nowMs = Date.now()): boolean {
    const until = this.#banned.get(peer);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.#banned.delete(peer);
    return false;
  }

  bannedCount(nowMs = Date.now()): number {
    return [...this.#banned.keys()].filter((peer) => this.isBanned(peer, nowMs)).length;
  }
}
