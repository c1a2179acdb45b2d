/**
 * The agreement between oracles over their statement boards, the boards wired to each other in
 * memory as the network delivers statements (each announced statement is offered to every other
 * board, which verifies it).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type Hex, recoverMessageAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { createLogger } from "../src/log.ts";
import type { StatementItem } from "../src/network/messages.ts";
import { Agreement, type Statement } from "../src/reporting/agreement.ts";
import { type Figures, StatementBoard } from "../src/reporting/board.ts";
import { Store } from "../src/store/index.ts";

const log = createLogger("silent");
const accounts = Array.from({ length: 3 }, () => privateKeyToAccount(generatePrivateKey())).sort((a, b) =>
  a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1,
);
const oracles = accounts.map((a) => a.address.toLowerCase());
const TOPIC = "report-7-0";

interface Uptime extends Figures {
  uptimeBps: number;
}

/** The nodes' wall clock: turns to propose open no faster than it moves. */
let clockMs = 0;

function setup(registered: Set<string> = new Set(oracles)) {
  clockMs = 0;
  const boards: StatementBoard[] = [];
  const deliver = (from: number) => async (item: StatementItem) => {
    for (const [i, board] of boards.entries()) if (i !== from) await board.accept(oracles[from]!, [item]);
  };
  const nodes = accounts.map((account, i) => {
    const store = new Store(":memory:");
    const pending: Promise<void>[] = [];
    const board = new StatementBoard(account.address, store.signatures, (item) => void pending.push(deliver(i)(item)));
    board.register("report", {
      recover: (_topic, figures, signature) => recoverMessageAddress({ message: JSON.stringify(figures), signature }),
      isSigner: (signer) => registered.has(signer),
      isOpen: () => true,
    });
    boards.push(board);
    const agreement = new Agreement(
      account.address,
      () => [...registered].sort(),
      10_000,
      board,
      log,
      () => clockMs,
    );
    const statement = (mine: Uptime | undefined, elapsedMs = 0, seed = 0n): Statement<Uptime> => ({
      topic: TOPIC,
      seed,
      elapsedMs,
      mine,
      acceptable: (p) => mine !== undefined && Math.abs(p.uptimeBps - mine.uptimeBps) <= 100,
      sign: (f) => account.signMessage({ message: JSON.stringify(f) }),
    });
    /** Advances (the clock moved to the statement's elapsed time), then lets the network deliver what it signed. */
    const advance = async (s: Statement<Uptime>) => {
      clockMs = Math.max(clockMs, s.elapsedMs);
      const agreed = await agreement.advance(s);
      await Promise.all(pending.splice(0));
      return agreed;
    };
    return { agreement, statement, advance, board, store, account };
  });
  return nodes;
}

const signed = (i: number, figures: Figures) =>
  accounts[i]!.signMessage({ message: JSON.stringify(figures) }) as Promise<Hex>;

describe("agreement between oracles", () => {
  it("the proposer in turn signs its figures; the others co-sign close figures; signatures come sorted", async () => {
    const [a, b, c] = setup();
    // seed 1: the second oracle proposes first.
    assert.equal(await a!.advance(a!.statement({ uptimeBps: 9_990 }, 0, 1n)), undefined, "not a's turn");
    const proposed = await b!.advance(b!.statement({ uptimeBps: 9_950 }, 0, 1n));
    assert.deepEqual(proposed?.figures, { uptimeBps: 9_950 });
    assert.equal(proposed?.proposedHere, true);
    const cosigned = await a!.advance(a!.statement({ uptimeBps: 9_990 }, 0, 1n));
    assert.deepEqual(cosigned?.figures, { uptimeBps: 9_950 });
    assert.equal(cosigned?.proposedHere, false);
    assert.deepEqual(
      cosigned?.signatures.map((s) => s.signer),
      [oracles[0], oracles[1]],
    );
    // Too far from its own measurement: c does not co-sign.
    const refused = await c!.advance(c!.statement({ uptimeBps: 9_000 }, 0, 1n));
    assert.equal(refused, undefined);
    assert.equal(c!.store.signatures.get(TOPIC), undefined);
    assert.equal(b!.agreement.signaturesFor(TOPIC, { uptimeBps: 9_950 }).length, 2);
  });

  it("the next oracle proposes when the proposer stays silent, and nobody signs twice", async () => {
    const [a, b] = setup();
    assert.equal(await b!.advance(b!.statement({ uptimeBps: 10_000 }, 0, 0n)), undefined);
    assert.equal(await b!.advance(b!.statement({ uptimeBps: 10_000 }, 5_000, 0n)), undefined);
    const takeover = await b!.advance(b!.statement({ uptimeBps: 10_000 }, 10_000, 0n));
    assert.deepEqual(takeover?.figures, { uptimeBps: 10_000 });
    // a, the first in turn, comes back with other figures: it co-signs b's proposal, once.
    const late = await a!.advance(a!.statement({ uptimeBps: 9_950 }, 10_000, 0n));
    assert.deepEqual(late?.figures, { uptimeBps: 10_000 });
    const again = await a!.advance(a!.statement({ uptimeBps: 9_950 }, 20_000, 0n));
    assert.equal(again?.signatures.length, 2);
    assert.deepEqual(a!.store.signatures.get(TOPIC)?.figures, { uptimeBps: 10_000 });
  });

  it("a proposer with wrong figures is passed over: the next proposes, and the honest two reach the quorum", async () => {
    const [a, b, c] = setup();
    // a proposes first, with figures nobody measured.
    assert.deepEqual((await a!.advance(a!.statement({ uptimeBps: 2_000 }, 0, 0n)))?.figures, { uptimeBps: 2_000 });
    assert.equal(await b!.advance(b!.statement({ uptimeBps: 9_990 }, 0, 0n)), undefined, "b declines");
    const next = await b!.advance(b!.statement({ uptimeBps: 9_990 }, 10_000, 0n));
    assert.deepEqual(next?.figures, { uptimeBps: 9_990 });
    const agreed = await c!.advance(c!.statement({ uptimeBps: 9_980 }, 10_000, 0n));
    assert.deepEqual(agreed?.figures, { uptimeBps: 9_990 });
    assert.deepEqual(
      agreed?.signatures.map((s) => s.signer),
      [oracles[1], oracles[2]],
    );
  });

  it("refuses forged, unregistered, equivocating and unknown statements", async () => {
    const [a] = setup(new Set(oracles.slice(0, 2)));
    const stranger = privateKeyToAccount(generatePrivateKey());
    const forged = await stranger.signMessage({ message: JSON.stringify({ uptimeBps: 1 }) });
    assert.equal(
      await a!.board.accept(oracles[1]!, [{ topic: TOPIC, figures: { uptimeBps: 1 }, signature: forged }]),
      false,
    );
    const byC = await signed(2, { uptimeBps: 5 });
    assert.equal(
      await a!.board.accept(oracles[2]!, [{ topic: TOPIC, figures: { uptimeBps: 5 }, signature: byC }]),
      false,
    );
    const first = await signed(1, { uptimeBps: 9_000 });
    const second = await signed(1, { uptimeBps: 9_500 });
    assert.equal(
      await a!.board.accept(oracles[1]!, [{ topic: TOPIC, figures: { uptimeBps: 9_000 }, signature: first }]),
      true,
    );
    assert.equal(
      await a!.board.accept(oracles[1]!, [{ topic: TOPIC, figures: { uptimeBps: 9_500 }, signature: second }]),
      false,
    );
    const unknown = await signed(1, { uptimeBps: 1 });
    assert.equal(
      await a!.board.accept(oracles[1]!, [{ topic: "payout-1-2", figures: { uptimeBps: 1 }, signature: unknown }]),
      false,
    );
    assert.deepEqual([...a!.board.signatures(TOPIC).keys()], [oracles[1]]);
  });

  it("leaves out the signatures of an oracle the contract no longer accepts", async () => {
    const registered = new Set(oracles);
    const [a, b] = setup(registered);
    await b!.advance(b!.statement({ uptimeBps: 9_950 }, 0, 1n));
    registered.delete(oracles[1]!);
    const own = await a!.advance(a!.statement({ uptimeBps: 9_990 }, 0, 0n));
    assert.deepEqual(
      own?.signatures.map((s) => s.signer),
      [oracles[0]],
      "b's proposal does not count; a proposes its own figures in its turn",
    );
    assert.deepEqual(a!.agreement.signaturesFor(TOPIC, { uptimeBps: 9_950 }), []);
  });

  it("when everyone comes late, the first in turn still proposes alone, and the others co-sign it", async () => {
    const [a, b, c] = setup();
    // The statement could be made long ago (every turn has come), but the nodes only see it now.
    clockMs = 100_000;
    const late = 100_000;
    assert.deepEqual((await a!.advance(a!.statement({ uptimeBps: 9_990 }, late, 0n)))?.figures, { uptimeBps: 9_990 });
    const cosigned = await b!.advance(b!.statement({ uptimeBps: 9_950 }, late, 0n));
    assert.deepEqual(cosigned?.figures, { uptimeBps: 9_990 }, "b co-signs a's proposal instead of proposing its own");
    const agreed = await c!.advance(c!.statement({ uptimeBps: 9_950 }, late, 0n));
    assert.equal(agreed?.signatures.length, 3);
  });

  it("signs alone when it is the only oracle", async () => {
    const [a] = setup(new Set());
    const agreed = await a!.advance(a!.statement({ uptimeBps: 42 }));
    assert.equal(agreed?.signatures.length, 1);
    assert.equal(agreed?.proposedHere, true);
  });
});
