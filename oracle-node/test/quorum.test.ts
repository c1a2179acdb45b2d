/**
 * Two oracles, quorum 2 (set through the DAO's timelock, impersonated on the local chain), talking
 * over the peer-to-peer network on loopback: one node provisions and announces where to probe, the
 * other probes the machine and co-signs the confirmation, both measure, and billing starts and the
 * report settles once, each with both signatures, ordered by signer address; a booking with a
 * renewal policy is renewed once, by the oracle whose turn it is.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { type Address, type Hex, decodeFunctionData, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { LOCAL_ORACLE_KEY } from "../src/config.ts";
import { peerIdOf } from "../src/network/identity.ts";
import { OracleNode } from "../src/node.ts";
import {
  type Stack,
  activated,
  advanceChain,
  autoRenew,
  book,
  settledPeriods,
  freePort,
  listResource,
  mined,
  provisionedEvents,
  renewedEvents,
  samplesTaken,
  streamOf,
  startStack,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

describe("several oracles", { timeout: 300_000 }, () => {
  let stack: Stack;
  const nodes: OracleNode[] = [];
  let resourceId: bigint;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    await stack?.stop();
  });

  it("sign each report together over the network and submit it once", async () => {
    const sla = stack.deployment.contracts.SLAEnforcement.proxy as Address;
    const secondKey = generatePrivateKey();
    const second = privateKeyToAccount(secondKey);
    const timelock = stack.deployment.governance.timelock as Address;
    await stack.rpc("hardhat_impersonateAccount", [timelock]);
    await stack.rpc("hardhat_setBalance", [timelock, `0x${parseEther("10").toString(16)}`]);
    await stack.rpc("hardhat_setBalance", [second.address, `0x${parseEther("10").toString(16)}`]);
    const dao = stack.wallet(timelock);
    for (const [functionName, args] of [
      ["addSigner", [second.address]],
      ["setQuorum", [2]],
    ] as const) {
      await mined(
        stack,
        await dao.writeContract({ chain: null, address: sla, abi: sLAEnforcementAbi, functionName, args } as never),
      );
    }

    const provider = stack.accounts[3]!;
    ({ resourceId } = await listResource(stack, provider));
    const [portA, portB] = [await freePort(), await freePort()];
    const peerA = await peerIdOf(LOCAL_ORACLE_KEY);
    nodes.push(
      await OracleNode.start(
        testConfig(stack, mkdtempSync(join(stack.workDir, "a-")), {
          serve: { providers: [provider] },
          network: { listen: [`/ip4/127.0.0.1/tcp/${portA}`] },
        }),
      ),
    );
    nodes.push(
      await OracleNode.start(
        testConfig(
          stack,
          mkdtempSync(join(stack.workDir, "b-")),
          {
            serve: { providers: [provider], provision: false },
            network: {
              listen: [`/ip4/127.0.0.1/tcp/${portB}`],
              bootstrap: [`/ip4/127.0.0.1/tcp/${portA}/p2p/${peerA}`],
            },
          },
          { ORACLE_PRIVATE_KEY: secondKey },
        ),
      ),
    );
    await waitFor("the nodes to connect", () =>
      nodes.every((n) => n.network.peers().length === 1) ? true : undefined,
    );

    const booked = await book(stack, stack.accounts[4]!, resourceId);
    await activated(stack, booked.bookingId);
    for (const node of nodes) await samplesTaken(node, booked.bookingId, 5);
    assert.equal(nodes[1]!.store.txs.keysLike("").length, 0, "the second node provisions nothing");
    await advanceChain(stack, 61);

    const settled = await waitFor(
      "the report",
      async () => {
        const events = await settledPeriods(stack);
        return events.find((e) => e.args.bookingId === booked.bookingId);
      },
      90_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const events = (await settledPeriods(stack)).filter((e) => e.args.bookingId === booked.bookingId);
    assert.equal(events.length, 1);
    assert.equal(settled.args.uptimeBps, 10_000);

    // Billing started on both oracles' signatures: the second probed the machine before co-signing.
    const [provisioned] = await provisionedEvents(stack, booked.bookingId);
    const confirmation = await stack.publicClient.getTransaction({ hash: provisioned!.transactionHash });
    const confirmed = decodeFunctionData({ abi: resourceMarketplaceAbi, data: confirmation.input as Hex });
    assert.equal((confirmed.args as readonly [bigint, string, readonly Hex[]])[2].length, 2);
    const logs = await stack.publicClient.getLogs({
      address: sla,
      fromBlock: settled.blockNumber,
      toBlock: settled.blockNumber,
    });
    const tx = await stack.publicClient.getTransaction({ hash: logs[0]!.transactionHash! });
    const { args } = decodeFunctionData({ abi: sLAEnforcementAbi, data: tx.input as Hex });
    assert.equal((args as readonly [unknown, readonly (readonly Hex[])[]])[1][0]!.length, 2);
    for (const node of nodes) {
      assert.ok(node.store.signatures.get(`report-${booked.bookingId}-0-0`), "each node signed the report");
    }
  });

  it("renew a booking once between them: the oracle whose turn it is", async () => {
    const consumer = stack.accounts[5]!;
    const booked = await book(stack, consumer, resourceId);
    await activated(stack, booked.bookingId);
    const { endsAt } = await streamOf(stack, booked.bookingId);
    await autoRenew(stack, consumer, booked.bookingId, 3);
    const [renewed] = await waitFor("the renewal", async () => {
      const events = await renewedEvents(stack, booked.bookingId);
      return events.length ? events : undefined;
    });
    const oracles = nodes.map((n) => n.chain.account.address.toLowerCase()).sort();
    const first = oracles[Number((booked.bookingId + BigInt(endsAt)) % 2n)];
    assert.equal((renewed!.args.caller as string).toLowerCase(), first);

    // The other's turn comes `takeoverSeconds` later; by then the end has moved and it sends nothing.
    await new Promise((r) => setTimeout(r, 8_000));
    assert.equal((await renewedEvents(stack, booked.bookingId)).length, 1);
    const sent = nodes.flatMap((n) => n.store.txs.keysLike(`renew-${booked.bookingId}-`));
    assert.deepEqual(sent, [`renew-${booked.bookingId}-${endsAt}`]);
  });
});
