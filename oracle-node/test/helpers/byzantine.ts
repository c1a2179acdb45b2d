/**
 * A byzantine oracle for the fault tests, as its own process: a real libp2p peer (the node's own
 * transport, identity and envelope format) that dials the honest nodes and then misbehaves:
 *
 *   - signs wrong figures for a report (its key is a registered signer: the signatures are valid);
 *   - announces a probe target of its own for the booking (a machine that answers, standing in for
 *     the dead one);
 *   - floods malformed and oversized messages;
 *   - replays an old envelope (stale timestamp);
 *   - publishes with a second key that is not a registered signer.
 *
 * Or, with `lie`, only one thing: it claims to have provisioned the booking (a valid provisioning
 * signature over made-up access details) and announces a machine for it that nobody reaches.
 *
 *   node byzantine.ts '<json: { bootstrap, key, unregisteredKey, chainId, sla, bookingId, period, target, flood, lie? }>'
 *
 * Prints one JSON line with what it sent, and exits.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { peerKeyOf, signBinding } from "../../src/network/identity.ts";
import { type Envelope, encode } from "../../src/network/messages.ts";
import type { ProbeTarget } from "../../src/provisioners/types.ts";
import { signReport } from "../../src/reporting/reporter.ts";
import { provisioningStatement } from "../../src/reporting/statements.ts";

interface Orders {
  bootstrap: string[];
  key: Hex;
  unregisteredKey: Hex;
  chainId: number;
  sla: Address;
  bookingId: string;
  period: number;
  target: ProbeTarget;
  flood: number;
  /** The lying provisioner: the booking's consumer and the access details' CID it claims. */
  lie?: { consumer: Address; accessDetailsCid: string };
}

const orders = JSON.parse(process.argv[2]!) as Orders;
const account = privateKeyToAccount(orders.key);
const libp2p = await createLibp2p({
  privateKey: await peerKeyOf(orders.key),
  addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    pubsub: gossipsub({ floodPublish: true, allowPublishToZeroTopicPeers: true, ignoreDuplicatePublishError: true }),
  },
});
const pubsub = libp2p.services.pubsub as GossipSub;
const prefix = `/dcloudx/${orders.chainId}/${orders.sla.toLowerCase()}`;
const topics = { statements: `${prefix}/statements/1`, targets: `${prefix}/targets/1` };
for (const topic of Object.values(topics)) pubsub.subscribe(topic);
await Promise.all(orders.bootstrap.map((address) => libp2p.dial(multiaddr(address)).catch(() => undefined)));
// Let the peers learn the subscriptions.
await new Promise((resolve) => setTimeout(resolve, 2_000));

const scope = { chainId: orders.chainId, contract: orders.sla };
const binding = await signBinding(account, libp2p.peerId.toString(), scope);
const envelope = (kind: Envelope["kind"], items: unknown[], sentAtMs = Date.now()) =>
  encode({ v: 1, oracle: account.address.toLowerCase(), binding, sentAtMs, kind, items } as Envelope);
const sent = {
  wrongFigures: 0,
  targets: 0,
  malformed: 0,
  oversized: 0,
  replays: 0,
  unregistered: 0,
  provisioning: 0,
  failed: 0,
};
const publish = async (topic: string, data: Uint8Array, what: keyof typeof sent) => {
  try {
    await pubsub.publish(topic, data);
    sent[what]++;
  } catch {
    sent.failed++;
  }
};

if (orders.lie) {
  // Valid messages only, announced for a few seconds as an honest provisioning node would.
  const chain = { account, chainId: orders.chainId, addresses: { sla: orders.sla } } as never;
  const statement = provisioningStatement(chain, orders.bookingId, orders.lie.consumer);
  const figures = { accessDetailsCid: orders.lie.accessDetailsCid };
  const item = { topic: statement.topic, figures, signature: await statement.sign(figures) };
  for (let i = 0; i < 5; i++) {
    await publish(topics.statements, envelope("statements", [item]), "provisioning");
    await publish(
      topics.targets,
      envelope("targets", [{ bookingId: orders.bookingId, target: orders.target }]),
      "targets",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  console.log(JSON.stringify({ sent }));
  await libp2p.stop();
  process.exit(0);
}

// Wrong figures: a machine that was down all period, reported as up all period.
const figures = { uptimeBps: [10_000], p95LatencyMs: [1], sampleCount: [500] };
const report = { bookingId: BigInt(orders.bookingId), firstPeriod: orders.period, ...figures };
const topic = `report-${orders.bookingId}-${orders.period}-${orders.period}`;
const signature = await signReport(
  { account, chainId: orders.chainId, addresses: { sla: orders.sla } } as never,
  report,
);
const wrong = envelope("statements", [{ topic, figures, signature }]);
await publish(topics.statements, wrong, "wrongFigures");
await publish(topics.targets, envelope("targets", [{ bookingId: orders.bookingId, target: orders.target }]), "targets");

// The flood.
for (let i = 0; i < orders.flood; i++) {
  await publish(topics.statements, new TextEncoder().encode(`{"v":1,"junk":${i}}`), "malformed");
  if (i % 10 === 0) await publish(topics.statements, new Uint8Array(300 * 1024).fill(i % 251), "oversized");
  if (i % 10 === 5) await publish(topics.statements, envelope("statements", [], Date.now() - 3_600_000), "replays");
}
// A replay of the wrong figures an hour later, as an attacker recording traffic would send it.
const old = envelope("statements", [{ topic, figures, signature }], Date.now() - 3_600_000);
await publish(topics.statements, old, "replays");

// Another key, not a registered signer, with a binding of its own.
const stranger = privateKeyToAccount(orders.unregisteredKey);
const strangerBinding = await signBinding(stranger, libp2p.peerId.toString(), scope);
const strangerSignature = await signReport(
  { account: stranger, chainId: orders.chainId, addresses: { sla: orders.sla } } as never,
  report,
);
for (let i = 0; i < 20; i++) {
  const data = encode({
    v: 1,
    oracle: stranger.address.toLowerCase(),
    binding: strangerBinding,
    sentAtMs: Date.now(),
    kind: "statements",
    items: [{ topic, figures, signature: strangerSignature }],
  } as Envelope);
  await publish(topics.statements, data, "unregistered");
}
// Until the honest nodes have read it all and hung up (or 20 s).
const peersAfterFlood = libp2p.getPeers().length;
for (let i = 0; i < 200 && libp2p.getPeers().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
console.log(JSON.stringify({ sent, peersAfterFlood, peersAtEnd: libp2p.getPeers().length }));
await libp2p.stop();
