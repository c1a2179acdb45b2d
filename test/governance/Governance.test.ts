import { expect } from "chai";

import { escrowSettings } from "../../scripts/lib/core.ts";
import { VOTE_AGAINST, VOTE_FOR, advanceTime, passProposal } from "../../scripts/lib/governance.ts";
import { connection, ethers, networkHelpers } from "../helpers/fixture.ts";
import { deployProtocolFixture } from "../helpers/protocol.ts";

const { loadFixture } = networkHelpers;

describe("DAO governance", function () {
  it("changes the protocol fee: delegate, propose, vote, queue, execute after the timelock delay", async function () {
    const f = await loadFixture(deployProtocolFixture);
    const newSettings = { ...escrowSettings(f.settings, f.treasury.address), protocolFeeBps: 400 };
    const calldata = f.escrow.interface.encodeFunctionData("updateSettings", [newSettings]);
    await passProposal(connection, f.governor, f.voters, {
      targets: [await f.escrow.getAddress()],
      values: [0n],
      calldatas: [calldata],
      description: "Raise the protocol fee to 4 %",
    });
    expect((await f.escrow.settings()).protocolFeeBps).to.equal(400n);
  });
});

export { VOTE_AGAINST, VOTE_FOR, advanceTime };
