import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { recoverMessageAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { createLogger } from "../src/log.ts";
import { Agreement, type Figures, type Statement } from "../src/reporting/agreement.ts";
import { Relay } from "../src/reporting/relay.ts";

const log = createLogger("silent");
const accounts = Array.from({ length: 3 }, () => privateKeyToAccount(generatePrivateKey())).sort((a, b) =>
  a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1,
);
const oracles = accounts.map((a) => a.address.toLowerCase());

interface Uptime extends Figures {
  uptimeBps: number;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "oracle-relay-"));
  return accounts.map((account) => {
    const agreement = new Agreement(account.address, oracles, 10_000, log, new Relay(dir, "31337-0xsla"));
    const statement = (mine: Uptime | undefined, elapsedMs = 0, seed = 0n): Statement<Uptime> => ({
      topic: "report-7-0",
      seed,
      elapsedMs,
      mine,
      acceptable: (p) => mine !== undefined && Math.abs(p.uptimeBps - mine.uptimeBps) <= 100,
      sign: (f) => account.signMessage({ message: JSON.stringify(f) }),
      recover: (f, signature) => recoverMessageAddress({ message: JSON.stringify(f), signature }),
      registered: async () => true,
    });
    return { agreement, statement, dir };
  });
}

describe("agreement between oracles", () => {
  it("the proposer in turn signs its figures; the others co-sign close figures; signatures come sorted", async () => {
    const [a, b, c] = setup();
    // seed 1: the second oracle proposes first.
    assert.equal(
      await a!.agreement.advance(a!.statement({ uptimeBps: 9_990 }, 0, 1n)),
      undefined,
      "not a's turn, nothing proposed",
    );
    const proposed = await b!.agreement.advance(b!.statement({ uptimeBps: 9_950 }, 0, 1n));
    assert.deepEqual(proposed?.figures, { uptimeBps: 9_950 });
    assert.equal(proposed?.proposedHere, true);
    const cosigned = await a!.agreement.advance(a!.statement({ uptimeBps: 9_990 }, 0, 1n));
    assert.deepEqual(cosigned?.figures, { uptimeBps: 9_950 });
    assert.equal(cosigned?.proposedHere, false);
    assert.deepEqual(
      cosigned?.signatures.map((s) => s.signer),
      [oracles[0], oracles[1]],
    );
    // Too far from its own measurement: c does not co-sign.
    const refused = await c!.agreement.advance(c!.statement({ uptimeBps: 9_000 }, 0, 1n));
    assert.equal(refused?.signatures.length, 2);
    const signatures = await a!.agreement.signaturesFor(a!.statement(undefined), { uptimeBps: 9_950 });
    assert.equal(signatures.length, 2);
  });

  it("the next oracle proposes when the proposer stays silent, and nobody signs twice", async () => {
    const [a, b] = setup();
    assert.equal(await b!.agreement.advance(b!.statement({ uptimeBps: 10_000 }, 5_000, 0n)), undefined);
    const takeover = await b!.agreement.advance(b!.statement({ uptimeBps: 10_000 }, 10_000, 0n));
    assert.deepEqual(takeover?.figures, { uptimeBps: 10_000 });
    // a, the first in turn, comes back with other figures: it co-signs b's proposal, once.
    const late = await a!.agreement.advance(a!.statement({ uptimeBps: 9_950 }, 10_000, 0n));
    assert.deepEqual(late?.figures, { uptimeBps: 10_000 });
    const again = await a!.agreement.advance(a!.statement({ uptimeBps: 9_950 }, 20_000, 0n));
    assert.equal(again?.signatures.length, 2);
  });

  it("ignores junk, forged and unregistered files in the relay", async () => {
    const [a, b] = setup();
    const topic = join(a!.dir, "31337-0xsla", "report-7-0");
    mkdirSync(topic, { recursive: true });
    writeFileSync(join(topic, "not-a-signer.json"), "{}");
    writeFileSync(join(topic, `${oracles[2]}.json`), "{ half a file");
    const stranger = privateKeyToAccount(generatePrivateKey());
    const forged = await stranger.signMessage({ message: JSON.stringify({ uptimeBps: 1 }) });
    writeFileSync(
      join(topic, `${oracles[0]}.json`),
      JSON.stringify({ signer: oracles[0], figures: { uptimeBps: 1 }, signature: forged }),
    );
    const proposal = await b!.agreement.advance({ ...b!.statement({ uptimeBps: 9_999 }, 10_000, 0n) });
    assert.deepEqual(proposal?.figures, { uptimeBps: 9_999 }, "the forged proposal of the first oracle is ignored");
    const unregistered = await a!.agreement.advance({
      ...a!.statement(undefined, 0, 0n),
      registered: async () => false,
    });
    assert.equal(unregistered, undefined);
  });

  it("leaves out the signatures of an oracle the contract no longer accepts", async () => {
    const [a, b] = setup();
    const proposed = await b!.agreement.advance(b!.statement({ uptimeBps: 9_950 }, 0, 1n));
    assert.deepEqual(proposed?.figures, { uptimeBps: 9_950 });
    // b was removed from the contract's signers while still configured here.
    const removed = (signer: string) => Promise.resolve(signer !== oracles[1]);
    const own = await a!.agreement.advance({ ...a!.statement({ uptimeBps: 9_990 }, 20_000, 1n), registered: removed });
    assert.deepEqual(
      own?.signatures.map((s) => s.signer),
      [oracles[0]],
      "b's proposal is not co-signed; a proposes its own figures in its turn",
    );
    const signatures = await a!.agreement.signaturesFor(
      { ...a!.statement(undefined), registered: removed },
      { uptimeBps: 9_950 },
    );
    assert.deepEqual(signatures, []);
  });

  it("needs a relay for several oracles; signs alone without one", async () => {
    assert.throws(() => new Agreement(accounts[0]!.address, oracles, 1_000, log), /relay folder/);
    const alone = new Agreement(accounts[0]!.address, [], 1_000, log);
    const [a] = setup();
    const agreed = await alone.advance(a!.statement({ uptimeBps: 42 }));
    assert.equal(agreed?.signatures.length, 1);
    assert.equal(agreed?.proposedHere, true);
  });
});
