/** The demo's DAO proposal: halve the protocol fee, open for voting with a few votes cast. */
import { type Address, encodeFunctionData, parseEventLogs } from "viem";

import { dAOGovernanceAbi, escrowManagerAbi } from "@d-cloudx/sdk/abis";

import type { DemoChain } from "./chain.ts";
import { BOB } from "./listings.ts";

/** Proposes the fee cut from account #0, waits out the voting delay and casts votes; returns the proposal id. */
export async function proposeFeeCut(chain: DemoChain): Promise<{ proposalId: bigint; votes: number }> {
  const { client } = chain;
  const escrow = chain.contract("EscrowManager");
  const governor = chain.deployment.contracts.DAOGovernance.proxy as Address;
  const settings = await client.readContract({ address: escrow, abi: escrowManagerAbi, functionName: "settings" });
  const feeBps = Math.floor(settings.protocolFeeBps / 2);
  const calldata = encodeFunctionData({
    abi: escrowManagerAbi,
    functionName: "updateSettings",
    args: [{ ...settings, protocolFeeBps: feeBps }],
  });
  const description =
    `# Halve the protocol fee to ${feeBps / 100} %\n\n` +
    "Cheaper bookings bring more consumers, and more bookings more fees.\n\n" +
    // Proposals are identified by their content: a second seeding proposes anew.
    `Proposed at block ${await client.getBlockNumber()}.`;
  const receipt = await chain.send(0, governor, dAOGovernanceAbi, "propose", [[escrow], [0n], [calldata], description]);
  const [proposed] = parseEventLogs({ abi: dAOGovernanceAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  const proposalId = proposed!.args.proposalId;
  const votingDelay = await client.readContract({
    address: governor,
    abi: dAOGovernanceAbi,
    functionName: "votingDelay",
  });
  await chain.advance(Number(votingDelay) + 1);
  // [voter, support]: for, for, against, abstain.
  const votes: [number, number][] = [
    [0, 1],
    [3, 1],
    [BOB, 0],
    [8, 2],
  ];
  for (const [voter, support] of votes) {
    await chain.send(voter, governor, dAOGovernanceAbi, "castVote", [proposalId, support]);
  }
  return { proposalId, votes: votes.length };
}
