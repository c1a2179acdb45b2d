/**
 * The oracles' peer-to-peer network on js-libp2p: TCP, noise, yamux, identify and gossipsub, with
 * no discovery of any kind (no public bootstrap list, no mDNS, no DHT): a node dials the peers of
 * its `network.bootstrap` list, and only their hosts, and accepts peers that dial it.
 *
 * A message is accepted, and forwarded, only when (in this order, cheapest first): it is within
 * the size cap; its publisher is within its rate limit; it parses (messages.ts); it was sent within
 * the allowed clock skew; the publisher's peer id is bound to an oracle address by that oracle's
 * signature (identity.ts); that address is a registered signer on chain; and every item verifies
 * (the handlers: each statement is that oracle's own EIP-712 signature). A refused message costs its
 * publisher penalty points (gossipsub's application-specific score); a peer whose score falls below
 * `BAN_SCORE` is disconnected and refused for `network.banSeconds`.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, type Message, StrictSign, TopicValidatorResult, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { PeerId } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { type Libp2p, createLibp2p } from "libp2p";
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";

import { describeError } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { PeerGuard } from "./guard.ts";
import { type BindingScope, peerKeyOf, recoverBinding, signBinding } from "./identity.ts";
import {
  type Envelope,
  type Kind,
  MAX_ITEMS,
  type StatementItem,
  type TargetItem,
  decode,
  encode,
} from "./messages.ts";

export interface NetworkOptions {
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/9474. */
  listen: string[];
  /** Multiaddrs other operators reach this node at (default: the listen addresses). */
  announce: string[];
  /** Peers to connect to, each /ip4|ip6|dns…/tcp/<port>/p2p/<peer id>. */
  bootstrap: string[];
  maxMessageBytes: number;
  messagesPerSecond: number;
  messagesBurst: number;
  maxClockSkewSeconds: number;
  banSeconds: number;
}

/** What the node does with verified items; false refuses the whole message (and scores its sender down). */
export interface NetworkHandlers {
  statements(oracle: string, items: StatementItem[]): Promise<boolean>;
  targets(oracle: string, items: TargetItem[]): boolean;
}

export interface NetworkDeps {
  account: PrivateKeyAccount;
  privateKey: Hex;
  scope: BindingScope;
  /** Whether `address` is a registered signer now: only their messages are accepted. */
  isMember(address: string): boolean;
  handlers: NetworkHandlers;
  log: Logger;
  metrics: Metrics;
}

/** Points for a refused message; four put a peer at the ban score within a few minutes. */
const INVALID_POINTS = 20;
const STALE_POINTS = 2;
/** At gossipsub's graylist threshold: below it a peer's messages are not even read, so it goes. */
const BAN_SCORE = -80;
const KEEPER_INTERVAL_MS = 2_000;
const FLUSH_DELAY_MS = 200;

type Outgoing = { kind: "statements"; item: StatementItem } | { kind: "targets"; item: TargetItem };

export class OracleNetwork {
  readonly peerId: PeerId;
  readonly #libp2p: Libp2p<{ pubsub: GossipSub }>;
  readonly #options: NetworkOptions;
  readonly #deps: NetworkDeps;
  readonly #guard: PeerGuard;
  readonly #log: Logger;
  readonly #topics: Record<Kind, string>;
  readonly #binding: Hex;
  /** Verified bindings: peer id → oracle address. */
  readonly #bound = new Map<string, string>();
  readonly #bootstrap: Multiaddr[];
  #queue: Outgoing[] = [];
  #flushTimer?: NodeJS.Timeout;
  #keeper?: NodeJS.Timeout;

  private constructor(
    libp2p: Libp2p<{ pubsub: GossipSub }>,
    options: NetworkOptions,
    deps: NetworkDeps,
    guard: PeerGuard,
    binding: Hex,
  ) {
    this.#libp2p = libp2p;
    this.peerId = libp2p.peerId;
    this.#options = options;
    this.#deps = deps;
    this.#guard = guard;
    this.#binding = binding;
    this.#log = deps.log.child({ component: "network" });
    const prefix = `/dcloudx/${deps.scope.chainId}/${deps.scope.contract.toLowerCase()}`;
    this.#topics = { statements: `${prefix}/statements/1`, targets: `${prefix}/targets/1` };
    this.#bootstrap = options.bootstrap.map((address) => multiaddr(address));
  }

  static async start(options: NetworkOptions, deps: NetworkDeps): Promise<OracleNetwork> {
    const privateKey = await peerKeyOf(deps.privateKey);
    const guard = new PeerGuard({
      messagesPerSecond: options.messagesPerSecond,
      burst: options.messagesBurst,
      banSeconds: options.banSeconds,
    });
    const dialHosts = new Set(options.bootstrap.map((address) => hostOf(multiaddr(address))));
    const libp2p = await createLibp2p({
      privateKey,
      addresses: { listen: options.listen, announce: options.announce },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      connectionGater: {
        // Dial only the hosts of the bootstrap list; refuse banned peers both ways.
        denyDialMultiaddr: (address) => !dialHosts.has(hostOf(address)),
        denyDialPeer: (peer) => guard.isBanned(peer.toString()),
        denyInboundEncryptedConnection: (peer) => guard.isBanned(peer.toString()),
        denyOutboundConnection: (peer) => guard.isBanned(peer.toString()),
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictSign,
          emitSelf: false,
          doPX: false,
          floodPublish: true,
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          // Frames a little over the cap still reach the validator, which refuses and scores them; far
          // larger ones end the peer's stream.
          maxInboundDataLength: 2 * options.maxMessageBytes,
          scoreParams: {
            appSpecificScore: (peer) => -guard.points(peer),
            appSpecificWeight: 1,
            // Operators may share an address (a NAT, one host in a test): no co-location penalty.
            IPColocationFactorWeight: 0,
            topicScoreCap: 10,
          },
          scoreThresholds: { gossipThreshold: -10, publishThreshold: -50, graylistThreshold: BAN_SCORE },
        }),
      },
    });
    const binding = await signBinding(deps.account, libp2p.peerId.toString(), deps.scope);
    const network = new OracleNetwork(libp2p, options, deps, guard, binding);
    network.#subscribe();
    network.#keeper = setInterval(() => void network.#keep(), KEEPER_INTERVAL_MS);
    void network.#keep();
    network.#log.info(
      { peerId: libp2p.peerId.toString(), listen: libp2p.getMultiaddrs().map(String) },
      "peer-to-peer network started",
    );
    return network;
  }

  /** The addresses other nodes can dial this node at, with its peer id. */
  addresses(): string[] {
    return this.#libp2p.getMultiaddrs().map(String);
  }

  /** Connected peers, with the oracle each is bound to (once it has published) and its score. */
  peers(): { peerId: string; oracle?: string; score: number }[] {
    return this.#libp2p.getPeers().map((peer) => {
      const id = peer.toString();
      return { peerId: id, oracle: this.#bound.get(id), score: this.#score(id) };
    });
  }

  /** Queues an item; queued items leave in batches of up to MAX_ITEMS per message. */
  announce(outgoing: Outgoing): void {
    this.#queue.push(outgoing);
    if (this.#queue.length >= MAX_ITEMS) void this.flush();
    else this.#flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Publishes what is queued, unless this node's account is not a registered signer (peers would refuse it). */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 0 || !this.#deps.isMember(this.#deps.account.address)) return;
    for (const kind of ["statements", "targets"] as const) {
      const items = queue.filter((o) => o.kind === kind).map((o) => o.item);
      for (let i = 0; i < items.length; i += MAX_ITEMS) {
        const envelope = {
          v: 1,
          oracle: this.#deps.account.address.toLowerCase(),
          binding: this.#binding,
          sentAtMs: Date.now(),
          kind,
          items: items.slice(i, i + MAX_ITEMS),
        } as Envelope;
        try {
          await this.#libp2p.services.pubsub.publish(this.#topics[kind], encode(envelope));
          this.#deps.metrics.networkMessages.inc({ direction: "out", result: "sent" });
        } catch (error) {
          this.#log.warn({ kind, error: describeError(error) }, "could not publish; it is announced again later");
        }
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#keeper);
    clearTimeout(this.#flushTimer);
    await this.#libp2p.stop();
  }

  #subscribe(): void {
    const { pubsub } = this.#libp2p.services;
    for (const topic of Object.values(this.#topics)) {
      pubsub.topicValidators.set(topic, (_source, message) => this.#validate(message));
      pubsub.subscribe(topic);
    }
  }

  async #validate(message: Message): Promise<TopicValidatorResult> {
    const verdict = await this.#verdict(message);
    const result = verdict === true ? "accepted" : verdict;
    this.#deps.metrics.networkMessages.inc({ direction: "in", result });
    if (verdict === true) return TopicValidatorResult.Accept;
    if (message.type === "signed") {
      const publisher = message.from.toString();
      // Penalties go to the publisher; gossipsub scores the forwarder (usually the same peer) itself.
      this.#guard.penalize(publisher, verdict === "stale" ? STALE_POINTS : INVALID_POINTS);
      if (verdict !== "stale") this.#log.debug({ peer: publisher, reason: verdict }, "message refused");
    }
    return verdict === "stale" ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject;
  }

  /** True, or why the message is refused. */
  async #verdict(message: Message): Promise<true | string> {
    if (message.type !== "signed") return "unsigned";
    const publisher = message.from.toString();
    if (message.data.length > this.#options.maxMessageBytes) return "oversized";
    if (!this.#guard.allow(publisher)) return "rate-limited";
    const envelope = decode(message.data);
    if (!envelope || this.#topics[envelope.kind] !== message.topic) return "malformed";
    if (Math.abs(Date.now() - envelope.sentAtMs) > this.#options.maxClockSkewSeconds * 1000) return "stale";
    const bound = this.#bound.get(publisher);
    if (bound !== envelope.oracle) {
      if ((await recoverBinding(publisher, envelope.binding, this.#deps.scope)) !== envelope.oracle) {
        return "unbound";
      }
      this.#bound.set(publisher, envelope.oracle);
    }
    if (!this.#deps.isMember(envelope.oracle)) return "not-a-signer";
    const accepted =
      envelope.kind === "statements"
        ? await this.#deps.handlers.statements(envelope.oracle, envelope.items)
        : this.#deps.handlers.targets(envelope.oracle, envelope.items);
    return accepted ? true : "invalid-items";
  }

  #score(peer: string): number {
    return (this.#libp2p.services.pubsub as unknown as { getScore(peer: string): number }).getScore(peer);
  }

  /** Bans peers scored below BAN_SCORE, and dials bootstrap peers that are not connected. */
  async #keep(): Promise<void> {
    for (const peer of this.#libp2p.getPeers()) {
      const id = peer.toString();
      const score = this.#score(id);
      if (score >= BAN_SCORE || this.#guard.isBanned(id)) continue;
      this.#guard.ban(id);
      this.#log.warn({ peer: id, oracle: this.#bound.get(id), score }, "peer misbehaved: disconnected and banned");
      await this.#libp2p.hangUp(peer).catch(() => undefined);
    }
    const connected = new Set(this.#libp2p.getPeers().map(String));
    await Promise.all(
      this.#bootstrap.map(async (address) => {
        const peer = address.getComponents().find((c) => c.name === "p2p")?.value;
        if (!peer || connected.has(peer) || this.#guard.isBanned(peer)) return;
        await this.#libp2p.dial(address).catch((error: unknown) => {
          this.#log.debug({ peer: address.toString(), error: describeError(error) }, "bootstrap peer unreachable");
        });
      }),
    );
    this.#deps.metrics.networkPeers.set(this.#libp2p.getPeers().length);
    this.#deps.metrics.networkBanned.set(this.#guard.bannedCount());
  }
}

/** The host part of a multiaddr (an IP or a DNS name). */
function hostOf(address: Multiaddr): string {
  const component = address.getComponents().find((c) => ["ip4", "ip6", "dns", "dns4", "dns6"].includes(c.name));
  return component?.value ?? "";
}
