import { upgrades } from "@openzeppelin/hardhat-upgrades";
import { expect } from "chai";
import type { BaseContract } from "ethers";
import hre from "hardhat";

import { escrowSettings } from "../../scripts/lib/core.ts";
import {
  type ProposalActions,
  VOTE_AGAINST,
  VOTE_FOR,
  advanceTime,
  passProposal,
} from "../../scripts/lib/governance.ts";
import { type Fixture, connection, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture } = networkHelpers;
const DCX = 10n ** 18n;
const ProposalState = { Active: 1n, Defeated: 3n, Succeeded: 4n, Queued: 5n, Executed: 7n };

/** A proposal of one call. */
async function call(target: BaseContract, fn: string, args: unknown[], description: string): Promise<ProposalActions> {
  return {
    targets: [await target.getAddress()],
    values: [0n],
    calldatas: [target.interface.encodeFunctionData(fn, args)],
    description,
  };
}

/** Proposes `actions` as `proposer` and waits until voting opens; returns the proposal id. */
async function proposeAndOpen(f: Fixture, proposer: (typeof f.voters)[number], actions: ProposalActions) {
  const { targets, values, calldatas, description } = actions;
  await f.governor.connect(proposer).propose(targets, values, calldatas, description);
  const id = await f.governor.hashProposal(targets, values, calldatas, ethers.id(description));
  await advanceTime(connection, Number(await f.governor.votingDelay()) + 1);
  expect(await f.governor.state(id)).to.equal(ProposalState.Active);
  return { id, descriptionHash: ethers.id(description) };
}

describe("DAO governance", function () {
  describe("the proposal lifecycle", function () {
    it("changes the protocol fee, and the next booking pays it", async function () {
      const f = await loadFixture(deployFixture);
      const newSettings = { ...escrowSettings(f.settings, f.treasury.address), protocolFeeBps: 400 };
      await passProposal(
        connection,
        f.governor,
        f.voters,
        await call(f.escrow, "updateSettings", [newSettings], "Raise the protocol fee to 4 %"),
      );
      expect((await f.escrow.settings()).protocolFeeBps).to.equal(400n);

      const { bookingId } = await f.bookActive(undefined, 1);
      expect((await f.escrow.streamOf(bookingId)).feeBps).to.equal(400n);
    });

    it("adds an oracle signer that can then sign SLA reports", async function () {
      const f = await loadFixture(deployFixture);
      const newSigner = f.outsider.address;
      expect(await f.sla.isSigner(newSigner)).to.equal(false);
      await passProposal(
        connection,
        f.governor,
        f.voters,
        await call(f.sla, "addSigner", [newSigner], "Add an oracle operator"),
      );
      expect(await f.sla.isSigner(newSigner)).to.equal(true);
      expect(await f.sla.signerCount()).to.equal(4n);
      // It can co-sign a provisioning confirmation at once: the marketplace reads the same set.
      const { bookingId } = await f.book();
      await expect(f.confirm(bookingId, [f.oracleA, f.outsider])).to.emit(f.marketplace, "BookingProvisioned");
    });

    it("upgrades EscrowManager to a V2 whose new function works, with every balance intact", async function () {
      const f = await loadFixture(deployFixture);
      const { bookingId, amount } = await f.bookActive(undefined, 2);
      await f.book(undefined, 1);
      await advanceTime(connection, 3_600);
      const escrowAddress = await f.escrow.getAddress();
      const snapshot = async () => ({
        balance: await ethers.provider.getBalance(escrowAddress),
        deposit: await f.escrow.depositOf(bookingId),
        stream: await f.escrow.streamOf(bookingId),
        settings: await f.escrow.settings(),
      });
      const before = await snapshot();
      expect(before.balance).to.equal(amount + (await f.escrow.depositOf(2n)).amount);

      const api = await upgrades(hre, connection);
      const factory = await ethers.getContractFactory("EscrowManagerV2");
      const implementation = (await api.prepareUpgrade(escrowAddress, factory, { kind: "uups" })) as string;
      await passProposal(
        connection,
        f.governor,
        f.voters,
        await call(f.escrow, "upgradeToAndCall", [implementation, "0x"], "Upgrade EscrowManager to V2"),
      );

      expect(await api.erc1967.getImplementationAddress(escrowAddress)).to.equal(implementation);
      const v2 = factory.attach(escrowAddress) as unknown as { version(): Promise<bigint> };
      expect(await v2.version()).to.equal(2n);
      expect(await snapshot()).to.deep.equal(before);
      // The running booking still pays out under V2.
      await expect(f.escrow.connect(f.provider).withdrawEarnings(bookingId)).to.emit(f.escrow, "EarningsWithdrawn");
    });

    it("cannot execute before the timelock delay has passed", async function () {
      const f = await loadFixture(deployFixture);
      const actions = await call(f.marketplace, "setProvisionTimeout", [600], "Ten-minute provisioning timeout");
      const { id, descriptionHash } = await proposeAndOpen(f, f.voters[0]!, actions);
      for (const voter of f.voters) await f.governor.connect(voter).castVote(id, VOTE_FOR);
      await advanceTime(connection, Number(await f.governor.votingPeriod()));
      await f.governor.queue(actions.targets, actions.values, actions.calldatas, descriptionHash);
      expect(await f.governor.state(id)).to.equal(ProposalState.Queued);
      await expect(
        f.governor.execute(actions.targets, actions.values, actions.calldatas, descriptionHash),
      ).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
      await advanceTime(connection, f.governanceSettings.timelockDelaySeconds);
      await f.governor.execute(actions.targets, actions.values, actions.calldatas, descriptionHash);
      expect(await f.marketplace.provisionTimeout()).to.equal(600n);
    });

    it("lets a proposal that misses the quorum fail", async function () {
      const f = await loadFixture(deployFixture);
      // A small holder meets the proposal threshold but holds far less than the quorum.
      const small = f.outsider;
      await f.dcx.connect(f.treasury).transfer(small.address, f.governanceSettings.proposalThreshold);
      await f.dcx.connect(small).delegate(small.address);
      await advanceTime(connection, 1);
      const actions = await call(f.marketplace, "setProvisionTimeout", [600], "A proposal nobody else backs");
      const { id, descriptionHash } = await proposeAndOpen(f, small, actions);
      await f.governor.connect(small).castVote(id, VOTE_FOR);
      const snapshot = await f.governor.proposalSnapshot(id);
      expect(await f.governor.quorum(snapshot)).to.be.greaterThan(f.governanceSettings.proposalThreshold);
      await advanceTime(connection, Number(await f.governor.votingPeriod()));

      expect(await f.governor.state(id)).to.equal(ProposalState.Defeated);
      await expect(f.governor.queue(actions.targets, actions.values, actions.calldatas, descriptionHash))
        .to.be.revertedWithCustomError(f.governor, "GovernorUnexpectedProposalState")
        .withArgs(id, ProposalState.Defeated, ethers.toBeHex(1n << ProposalState.Succeeded, 32));
      expect(await f.marketplace.provisionTimeout()).to.equal(BigInt(f.settings.provisionTimeoutSeconds));
    });

    it("cannot execute a defeated proposal", async function () {
      const f = await loadFixture(deployFixture);
      const [a, b, c] = f.voters;
      const actions = await call(
        f.escrow,
        "updateSettings",
        [{ ...escrowSettings(f.settings, f.treasury.address), protocolFeeBps: 1_000 }],
        "Raise the protocol fee to 10 %",
      );
      const { id, descriptionHash } = await proposeAndOpen(f, a!, actions);
      await f.governor.connect(a!).castVote(id, VOTE_FOR);
      await f.governor.connect(b!).castVote(id, VOTE_AGAINST);
      await f.governor.connect(c!).castVote(id, VOTE_AGAINST);
      await advanceTime(connection, Number(await f.governor.votingPeriod()));

      expect(await f.governor.state(id)).to.equal(ProposalState.Defeated);
      const [against, forVotes] = await f.governor.proposalVotes(id);
      expect(against).to.equal(2n * f.governanceSettings.demoAllocation);
      expect(forVotes).to.equal(f.governanceSettings.demoAllocation);
      await expect(
        f.governor.execute(actions.targets, actions.values, actions.calldatas, descriptionHash),
      ).to.be.revertedWithCustomError(f.governor, "GovernorUnexpectedProposalState");
      expect((await f.escrow.settings()).protocolFeeBps).to.equal(BigInt(f.settings.protocolFeeBps));
    });

    it("counts the votes delegated before the proposal, not tokens moved after it", async function () {
      const f = await loadFixture(deployFixture);
      const [a, b] = f.voters;
      const actions = await call(f.marketplace, "setProvisionTimeout", [600], "Vote weight is fixed at the snapshot");
      const { id } = await proposeAndOpen(f, a!, actions);
      // b moves its tokens to a after the snapshot: they cannot vote twice.
      await f.dcx.connect(b!).transfer(a!.address, f.governanceSettings.demoAllocation);
      await f.governor.connect(a!).castVote(id, VOTE_FOR);
      await f.governor.connect(b!).castVote(id, VOTE_FOR);
      const [, forVotes] = await f.governor.proposalVotes(id);
      expect(forVotes).to.equal(2n * f.governanceSettings.demoAllocation);
    });
  });

  describe("nobody but the timelock governs", function () {
    /** Every DAO-governed setter of the protocol, with arguments that succeed from the timelock. */
    async function governedCalls(f: Fixture): Promise<[string, BaseContract, string, unknown[]][]> {
      const eth = f.localTokens.find((t) => t.symbol === "ETH")!;
      const usdc = f.localTokens.find((t) => t.symbol === "USDC")!;
      const newFeed = await ethers.deployContract("MockV3Aggregator", [8, 2_000n * 10n ** 8n]);
      const tiers = [{ uptimeBelowBps: 9_000, creditBps: 10_000 }];
      return [
        [
          "protocol fee and treasury",
          f.escrow,
          "updateSettings",
          [{ ...escrowSettings(f.settings, f.outsider.address), protocolFeeBps: 100 }],
        ],
        ["SLA credit tiers", f.sla, "setCreditPolicy", [500, tiers]],
        ["provisioning timeout", f.marketplace, "setProvisionTimeout", [900]],
        ["oracle signers (add)", f.sla, "addSigner", [f.outsider.address]],
        ["oracle signers (remove)", f.sla, "removeSigner", [f.oracle.address]],
        ["oracle quorum", f.sla, "setQuorum", [1]],
        ["oracle signers confirming provisioning", f.marketplace, "setOracleSigners", [f.outsider.address]],
        ["bond coverage", f.marketplace, "setBondCoverage", [1_000]],
        ["cancellation fee", f.marketplace, "setCancellationPolicy", [200, 120]],
        ["reputation minimum value", f.reputation, "setMinValue", [10_000_000n]],
        ["rewards per fee", f.rewards, "setRewardPerFee", [2_500]],
        ["resource verifiers (add)", f.verifier, "addSigner", [f.outsider.address]],
        ["resource verifiers (remove)", f.verifier, "removeSigner", [f.oracle.address]],
        ["verifier quorum", f.verifier, "setQuorum", [1]],
        ["verification validity", f.verifier, "setMaxValidity", [86_400]],
        ["verifier contract", f.marketplace, "setResourceVerifier", [ethers.ZeroAddress]],
        [
          "payment tokens and feeds",
          f.priceOracle,
          "setPaymentToken",
          [eth.address, await newFeed.getAddress(), 3_600],
        ],
        ["payment token removal", f.priceOracle, "disablePaymentToken", [usdc.address]],
        ["L2 sequencer feed", f.priceOracle, "setSequencerUptimeFeed", [ethers.ZeroAddress, 0]],
        ["DCX price", f.dcxFeed, "setAnswer", [40_000_000n]],
        ["reward rate", f.rewards, "setEmissionRate", [2n * DCX]],
        ["reward distributor", f.sla, "setRewardDistributor", [ethers.ZeroAddress]],
        ["DCX minter", f.dcx, "grantRole", [await f.dcx.MINTER_ROLE(), f.outsider.address]],
        ["reputation recorders", f.reputation, "grantRole", [await f.reputation.RECORDER_ROLE(), f.outsider.address]],
        [
          "pause guardian (grant)",
          f.marketplace,
          "grantRole",
          [await f.marketplace.GUARDIAN_ROLE(), f.outsider.address],
        ],
        [
          "pause guardian (revoke)",
          f.marketplace,
          "revokeRole",
          [await f.marketplace.GUARDIAN_ROLE(), f.deployer.address],
        ],
      ];
    }

    it("rejects every governed setter from the deployer, and accepts it from the timelock", async function () {
      const f = await loadFixture(deployFixture);
      const timelock = f.admin;
      const adminRole = ethers.ZeroHash;
      const calls = await governedCalls(f);
      for (const [what, contract, fn, args] of calls) {
        for (const caller of [f.deployer, f.treasury, f.oracle, f.voters[0]!]) {
          await expect(contract.connect(caller).getFunction(fn)(...args), `${what} by ${caller.address}`)
            .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, adminRole);
        }
      }
      for (const [what, contract, fn, args] of calls) {
        await expect(contract.connect(timelock).getFunction(fn)(...args), what).to.not.be.revert(ethers);
      }
    });

    it("lets only the timelock upgrade a contract", async function () {
      const f = await loadFixture(deployFixture);
      const timelock = f.admin;
      const managed = [f.priceOracle, f.reputation, f.escrow, f.marketplace, f.sla, f.dcx, f.rewards, f.verifier];
      for (const contract of managed) {
        const upgraderRole = await contract.UPGRADER_ROLE();
        const implementation = await (
          await upgrades(hre, connection)
        ).erc1967.getImplementationAddress(await contract.getAddress());
        for (const caller of [f.deployer, f.voters[0]!]) {
          await expect(contract.connect(caller).upgradeToAndCall(implementation, "0x"))
            .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, upgraderRole);
        }
        expect(await contract.hasRole(upgraderRole, await f.timelock.getAddress())).to.equal(true);
        await expect(contract.connect(timelock).upgradeToAndCall(implementation, "0x")).to.not.be.revert(ethers);
      }
    });

    it("changes the DAO's own rules only through proposals", async function () {
      const f = await loadFixture(deployFixture);
      const governorCalls: [string, unknown[]][] = [
        ["setVotingDelay", [10]],
        ["setVotingPeriod", [600]],
        ["setProposalThreshold", [DCX]],
        ["updateQuorumNumerator", [10]],
        ["upgradeToAndCall", [await f.governor.getAddress(), "0x"]],
      ];
      for (const [fn, args] of governorCalls) {
        await expect(f.governor.connect(f.deployer).getFunction(fn)(...args), fn)
          .to.be.revertedWithCustomError(f.governor, "GovernorOnlyExecutor")
          .withArgs(f.deployer.address);
      }
      await expect(f.timelock.connect(f.deployer).updateDelay(0))
        .to.be.revertedWithCustomError(f.timelock, "TimelockUnauthorizedCaller")
        .withArgs(f.deployer.address);
      for (const role of [ethers.ZeroHash, await f.timelock.PROPOSER_ROLE()]) {
        expect(await f.timelock.hasRole(role, f.deployer.address)).to.equal(false);
      }

      await passProposal(
        connection,
        f.governor,
        f.voters,
        await call(f.governor, "updateQuorumNumerator", [10], "Raise the quorum to 10 %"),
      );
      expect(await f.governor["quorumNumerator()"]()).to.equal(10n);
    });
  });
});
