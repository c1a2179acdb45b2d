/**
 * Two oracles, quorum 2 (set through the DAO's timelock, impersonated on the local chain): one node
 * provisions, the other probes the machine and co-signs the confirmation, both measure, they
 * exchange signatures through a shared relay folder, and billing starts and the report settles
 * once, each with both signatures, ordered by signer address.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { type Address, type Hex, decodeFunctionData, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { OracleNode } from "../src/node.ts";
import {
  type Stack,
  advanceChain,
  book,
  bookingStatus,
  eventsOf,
  listResource,
  mined,
  samplesTaken,
  startStack,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

describe("several oracles", { timeout: 300_000 }, () => {
  let stack: Stack;
  const nodes: OracleNode[] = [];

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    await stack?.stop();
  });

  it("gather a quorum of signatures through the relay folder and submit each report once", async () => {
    const sla = stack.deployment.contracts.SLAEnforcement.proxy as Address;
    const secondKey = generatePrivateKey();
    const second = privateKeyToAccount(secondKey);
    const timelock = stack.deployment.governance.timelock as Address;
    await stack.rpc("hardhat_impersonateAccount", [timelock]);
    await stack.rpc("hardhat_setBalance", [timelock, `0x${parseEther("10").toString(16)}`]);
    await stack.rpc("hardhat_setBalance", [second.address, `0x${parseEther("10").toString(16)}`]);
    const dao = stack.wallet(timelock);
    await mined(
      stack,
      await dao.writeContract({
        chain: null,
        address: sla,
        abi: sLAEnforcementAbi,
        functionName: "addSigner",
        args: [second.address],
      }),
    );
    await mined(
      stack,
      await dao.writeContract({
        chain: null,
        address: sla,
        abi: sLAEnforcementAbi,
        functionName: "setQuorum",
        args: [2],
      }),
    );

    const provider = stack.accounts[3]!;
    const { resourceId } = await listResource(stack, provider);
    const relayDir = join(stack.workDir, "relay");
    const first = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
    const reporting = {
      oracles: [first, second.address],
      relayDir,
      delaySeconds: 1,
      takeoverSeconds: 5,
      windowMarginSeconds: 10,
      maxBatchWaitSeconds: 0,
    };
    nodes.push(
      await OracleNode.start(
        testConfig(stack, mkdtempSync(join(stack.workDir, "a-")), { serve: { providers: [provider] }, reporting }),
      ),
    );
    nodes.push(
      await OracleNode.start(
        testConfig(
          stack,
          mkdtempSync(join(stack.workDir, "b-")),
          { serve: { providers: [provider], provision: false }, reporting },
          { ORACLE_PRIVATE_KEY: secondKey },
        ),
      ),
    );

    const booked = await book(stack, stack.accounts[4]!, resourceId);
    await waitFor("activation", async () => (await bookingStatus(stack, booked.bookingId)) === 2 || undefined);
    for (const node of nodes) {
      await samplesTaken(node, booked.bookingId, 5);
    }
    assert.equal(
      nodes[1]!.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM txs")!.n,
      0,
      "the second node provisions nothing",
    );
    await advanceChain(stack, 61);

    const settled = await waitFor("the report", async () => {
      const events = await eventsOf(stack, sla, sLAEnforcementAbi, "SlaPeriodSettled");
      return events.find((e) => e.args.bookingId === booked.bookingId);
    });
    await new Promise((r) => setTimeout(r, 1_500));
    const events = (await eventsOf(stack, sla, sLAEnforcementAbi, "SlaPeriodSettled")).filter(
      (e) => e.args.bookingId === booked.bookingId,
    );
    assert.equal(events.length, 1);
    assert.equal(settled.args.uptimeBps, 10_000);

    const folder = join(relayDir, `${stack.deployment.chainId}-${sla.toLowerCase()}`);
    const both = [`${first}.json`, `${second.address.toLowerCase()}.json`].sort();
    const signers = readdirSync(join(folder, `report-${booked.bookingId}-0`));
    assert.deepEqual(signers.sort(), both);
    // Billing started on both oracles' signatures: the second probed the machine before co-signing.
    assert.deepEqual(readdirSync(join(folder, `provisioning-${booked.bookingId}`)).sort(), both);
    const [provisioned] = (
      await eventsOf(
        stack,
        stack.deployment.contracts.ResourceMarketplace.proxy,
        resourceMarketplaceAbi,
        "BookingProvisioned",
      )
    ).filter((e) => e.args.bookingId === booked.bookingId);
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
  });
});
