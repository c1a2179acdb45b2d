import { PANIC_CODES } from "@nomicfoundation/hardhat-ethers-chai-matchers/panic";
import { expect } from "chai";
import type { BaseContract } from "ethers";

import { attestationTypes, permitTypes } from "@d-cloudx/sdk";
import { VOTE_AGAINST, VOTE_FOR, passProposal } from "../../scripts/lib/governance.ts";
import { METADATA_CID, connection, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";
import {
  type Namespace,
  type UpgradeCase as SharedUpgradeCase,
  checkNamespaceConstant,
  erc7201Slot,
  mappingSlot,
  packedAddress,
  packedField,
  plain,
  shouldUpgradeSafely,
  storageWord,
  upgradesApi,
} from "../helpers/proxies.ts";

const { loadFixture, time } = networkHelpers;

/** OpenZeppelin's IGovernor.ProposalState. */
enum ProposalState {
  Pending,
  Active,
  Canceled,
  Defeated,
  Succeeded,
  Queued,
  Expired,
  Executed,
}

const DCX = 10n ** 18n;
const E8 = 10n ** 8n;
const DAY = 86_400;
const OZ = "node_modules/@openzeppelin/contracts-upgradeable";

const ATTESTATION_TYPES = { Attestation: [...attestationTypes.Attestation] }; // ethers wants mutable arrays
const PERMIT_TYPES = { Permit: [...permitTypes.Permit] }; // ethers wants mutable arrays

/**
 * The deployed protocol with history in each of the DAO's contracts:
 * - DCX: the consumer sent 1,000 DCX to the outsider, who delegated them to the first voter; the
 *   consumer's permit for the escrow (500 DCX) was used.
 * - Rewards: the provider and a second provider earned points in epoch 0; in epoch 1 the provider
 *   claimed and earned more points, which are pending.
 * - Verifier: a second verifier was added; resource 1 is verified; resource 2 was verified, then revoked.
 * - Governor: a proposal that doubled the emission rate passed; one was canceled by its proposer;
 *   another one is open, with one vote for and one against.
 */
async function deployWithHistoryFixture() {
  const f = await deployFixture();
  const signers = await ethers.getSigners();
  const secondVerifier = signers[8]!;
  const recorder = signers[10]!;
  const secondProvider = signers[11]!;
  const timelock = f.admin;
  const escrowAddress = await f.escrow.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;

  await f.dcx.connect(f.consumer).transfer(f.outsider, 1_000n * DCX);
  await f.dcx.connect(f.outsider).delegate(f.voters[0]!);
  const dcxDomain = { name: "D-CloudX", version: "1", chainId, verifyingContract: await f.dcx.getAddress() };
  const permit = {
    owner: f.consumer.address,
    spender: escrowAddress,
    value: 500n * DCX,
    nonce: 0n,
    deadline: BigInt(await time.latest()) + 3_600n,
  };
  const { v, r, s } = ethers.Signature.from(await f.consumer.signTypedData(dcxDomain, PERMIT_TYPES, permit));
  await f.dcx.connect(f.outsider).permit(permit.owner, permit.spender, permit.value, permit.deadline, v, r, s);

  await f.rewards.connect(timelock).grantRole(await f.rewards.RECORDER_ROLE(), recorder.address);
  await f.rewards.connect(recorder).recordService(f.provider, 300n * E8, 300n * E8);
  await f.rewards.connect(recorder).recordService(secondProvider, 100n * E8, 100n * E8);
  await time.increase(Number(await f.rewards.epochSeconds()));
  await f.rewards.connect(f.provider).claim();
  await f.rewards.connect(recorder).recordService(f.provider, 50n * E8, 50n * E8);

  const passedProposal = await passProposal(connection, f.governor, f.voters, {
    targets: [await f.rewards.getAddress()],
    values: [0n],
    calldatas: [f.rewards.interface.encodeFunctionData("setEmissionRate", [2n * DCX])],
    description: "Double the DCX emission rate",
  });
  const canceledProposal = {
    targets: [await f.rewards.getAddress()],
    values: [0n],
    calldatas: [f.rewards.interface.encodeFunctionData("setEmissionRate", [0n])],
    description: "Stop DCX emissions",
  };
  const canceledHash = ethers.id(canceledProposal.description);
  await f.governor
    .connect(f.voters[2]!)
    .propose(
      canceledProposal.targets,
      canceledProposal.values,
      canceledProposal.calldatas,
      canceledProposal.description,
    );
  // Its proposer may cancel it while it is pending, that is before voting starts a second later.
  await time.setNextBlockTimestamp((await time.latest()) + 1);
  await f.governor
    .connect(f.voters[2]!)
    .cancel(canceledProposal.targets, canceledProposal.values, canceledProposal.calldatas, canceledHash);
  const canceledProposalId = await f.governor.hashProposal(
    canceledProposal.targets,
    canceledProposal.values,
    canceledProposal.calldatas,
    canceledHash,
  );
  const openProposal = {
    targets: [await f.verifier.getAddress()],
    values: [0n],
    calldatas: [f.verifier.interface.encodeFunctionData("setMaxValidity", [30 * DAY])],
    description: "Let attestations run for 30 days",
  };
  await f.governor
    .connect(f.voters[1]!)
    .propose(openProposal.targets, openProposal.values, openProposal.calldatas, openProposal.description);
  const openProposalId = await f.governor.hashProposal(
    openProposal.targets,
    openProposal.values,
    openProposal.calldatas,
    ethers.id(openProposal.description),
  );
  await time.increase(Number(await f.governor.votingDelay()) + 1);
  await f.governor.connect(f.voters[1]!).castVote(openProposalId, VOTE_FOR);
  await f.governor.connect(f.voters[2]!).castVote(openProposalId, VOTE_AGAINST);

  await f.verifier.connect(timelock).addSigner(secondVerifier.address);
  await f.marketplace
    .connect(f.provider)
    .listResource({ metadataCid: METADATA_CID, region: "us-east-1", kind: 1, terms: f.terms });
  const verifierDomain = {
    name: "D-CloudX Verifier",
    version: "1",
    chainId,
    verifyingContract: await f.verifier.getAddress(),
  };
  const attestations = [];
  for (const resourceId of [1n, 2n]) {
    const now = await time.latest();
    const attestation = {
      resourceId,
      metadataVersion: 1,
      cloud: "aws",
      region: resourceId === 1n ? "eu-west-1" : "us-east-1",
      instanceType: "g5.xlarge",
      accountHash: ethers.id("aws:123456789012"),
      issuedAt: now,
      expiresAt: now + 2 * DAY,
    };
    const signature = await f.oracle.signTypedData(verifierDomain, ATTESTATION_TYPES, attestation);
    await f.verifier.submitAttestation(attestation, [signature]);
    attestations.push(attestation);
  }
  await f.verifier.connect(timelock).revokeVerification(2n, "instance type retired", []);

  return {
    ...f,
    secondVerifier,
    secondProvider,
    recorder,
    escrowAddress,
    attestations,
    passedProposal,
    canceledProposalId,
    openProposalId,
    /** A moment in the past, for checkpointed reads. */
    pastTimepoint: BigInt(await time.latest()) - 60n,
  };
}

type Fixture = Awaited<ReturnType<typeof deployWithHistoryFixture>>;

/** A short string (< 32 bytes) as Solidity stores it: left-aligned bytes, length × 2 in the last byte. */
function shortString(word: bigint): string {
  const bytes = ethers.getBytes(ethers.toBeHex(word, 32));
  return ethers.toUtf8String(bytes.slice(0, bytes[31]! / 2));
}

/** Latest entry of a Checkpoints.Trace208 at `slot`: [key (timepoint), value]. */
async function latestCheckpoint(contract: BaseContract, slot: bigint): Promise<[bigint, bigint]> {
  const length = await storageWord(contract, slot);
  const first = BigInt(ethers.keccak256(ethers.toBeHex(slot, 32)));
  const word = await storageWord(contract, first + length - 1n);
  return [packedField(word, 0, 48), packedField(word, 6, 208)];
}

type UpgradeCase = SharedUpgradeCase<Fixture>;

const ERC20_NS = "openzeppelin.storage.ERC20";
const CAPPED_NS = "openzeppelin.storage.ERC20Capped";
const VOTES_NS = "openzeppelin.storage.Votes";
const NONCES_NS = "openzeppelin.storage.Nonces";
const REWARDS_NS = "dcloudx.storage.Rewards";
const VERIFIER_NS = "dcloudx.storage.Verifier";
const QUORUM_NS = "dcloudx.storage.QuorumSigned";

const cases: UpgradeCase[] = [
  {
    // No namespace of its own: the balances, cap, votes and nonces live in OpenZeppelin's.
    name: "DCXToken",
    namespaces: [
      { id: ERC20_NS, source: `${OZ}/token/ERC20/ERC20Upgradeable.sol`, constant: "ERC20StorageLocation" },
      {
        id: CAPPED_NS,
        source: `${OZ}/token/ERC20/extensions/ERC20CappedUpgradeable.sol`,
        constant: "ERC20CappedStorageLocation",
      },
      { id: VOTES_NS, source: `${OZ}/governance/utils/VotesUpgradeable.sol`, constant: "VotesStorageLocation" },
      { id: NONCES_NS, source: `${OZ}/utils/NoncesUpgradeable.sol`, constant: "NoncesStorageLocation" },
    ],
    proxy: (f) => f.dcx,
    initializeArgs: async (f) => [f.deployer.address, await f.dcx.cap(), []],
    snapshot: async ({ dcx, consumer, outsider, provider, treasury, voters, escrowAddress, pastTimepoint }) => {
      const holders = [consumer, outsider, provider, treasury, ...voters];
      return {
        metadata: [await dcx.name(), await dcx.symbol(), await dcx.decimals(), await dcx.DOMAIN_SEPARATOR()],
        supply: [await dcx.totalSupply(), await dcx.cap(), await dcx.getPastTotalSupply(pastTimepoint)],
        balances: await Promise.all(holders.map((h) => dcx.balanceOf(h))),
        allowance: await dcx.allowance(consumer, escrowAddress),
        nonces: await Promise.all(holders.map((h) => dcx.nonces(h))),
        delegates: await Promise.all(holders.map((h) => dcx.delegates(h))),
        votes: await Promise.all(holders.map((h) => dcx.getVotes(h))),
        pastVotes: await Promise.all(holders.map((h) => dcx.getPastVotes(h, pastTimepoint))),
        checkpoints: [await dcx.numCheckpoints(voters[0]!), plain(await dcx.checkpoints(voters[0]!, 1))],
        clock: await dcx.CLOCK_MODE(),
      };
    },
    async checkLayout({ dcx, consumer, outsider, voters, escrowAddress }) {
      const erc20 = erc7201Slot(ERC20_NS);
      const balance = await storageWord(dcx, mappingSlot("address", consumer.address, erc20));
      expect(balance).to.equal(await dcx.balanceOf(consumer));
      const ownerAllowances = mappingSlot("address", consumer.address, erc20 + 1n);
      const allowance = await storageWord(dcx, mappingSlot("address", escrowAddress, ownerAllowances));
      expect(allowance).to.equal(500n * DCX);
      const totalSupply = await storageWord(dcx, erc20 + 2n);
      expect(totalSupply).to.equal(await dcx.totalSupply());
      const name = await storageWord(dcx, erc20 + 3n);
      expect(shortString(name)).to.equal("D-CloudX");
      const cap = await storageWord(dcx, erc7201Slot(CAPPED_NS));
      expect(cap).to.equal(await dcx.cap());
      const votes = erc7201Slot(VOTES_NS);
      const delegatee = await storageWord(dcx, mappingSlot("address", outsider.address, votes));
      expect(packedAddress(delegatee)).to.equal(voters[0]!.address);
      const [, voterVotes] = await latestCheckpoint(dcx, mappingSlot("address", voters[0]!.address, votes + 1n));
      expect(voterVotes).to.equal(await dcx.getVotes(voters[0]!));
      const [, totalVotes] = await latestCheckpoint(dcx, votes + 2n);
      expect(totalVotes).to.equal(await dcx.totalSupply());
      const nonce = await storageWord(dcx, mappingSlot("address", consumer.address, erc7201Slot(NONCES_NS)));
      expect(nonce).to.equal(1n);
      return [balance, allowance, totalSupply, name, cap, delegatee, voterVotes, totalVotes, nonce];
    },
    badLayouts: [],
  },
  {
    name: "RewardDistributor",
    namespaces: [{ id: REWARDS_NS, source: "contracts/token/RewardDistributor.sol", constant: "STORAGE_LOCATION" }],
    proxy: (f) => f.rewards,
    initializeArgs: async (f) => [
      f.deployer.address,
      await f.dcx.getAddress(),
      await f.reputation.getAddress(),
      await f.priceOracle.getAddress(),
      await f.rewards.epochSeconds(),
      await f.rewards.emissionRate(),
      await f.rewards.rewardPerFeeBps(),
    ],
    snapshot: async ({ rewards, sla, provider, secondProvider }) => ({
      epoch: await rewards.currentEpoch(),
      epochs: [plain(await rewards.epochOf(0)), plain(await rewards.epochOf(1))],
      claimable: [await rewards.claimable(provider), await rewards.claimable(secondProvider)],
      totals: [await rewards.totalEmitted(), await rewards.totalClaimed()],
      settings: [
        await rewards.emissionRate(),
        await rewards.epochSeconds(),
        await rewards.priceOracle(),
        await rewards.rewardPerFeeBps(),
      ],
      recorder: await rewards.hasRole(await rewards.RECORDER_ROLE(), sla),
    }),
    async checkLayout({ rewards, dcx, reputation, priceOracle, provider, deployment }) {
      const slot = erc7201Slot(REWARDS_NS);
      const first = await storageWord(rewards, slot);
      expect(packedAddress(first)).to.equal(await dcx.getAddress());
      const deployedIn = await ethers.provider.getBlock(deployment.contracts.RewardDistributor.startBlock);
      expect(packedField(first, 20, 64)).to.equal(BigInt(deployedIn!.timestamp));
      expect(packedField(first, 28, 32)).to.equal(await rewards.epochSeconds());
      const siblings = [await storageWord(rewards, slot + 1n), await storageWord(rewards, slot + 2n)];
      expect(siblings.map((w) => packedAddress(w))).to.deep.equal([
        await reputation.getAddress(),
        await priceOracle.getAddress(),
      ]);
      const amounts = [];
      for (const offset of [3n, 4n, 5n]) amounts.push(await storageWord(rewards, slot + offset));
      expect(amounts).to.deep.equal([2n * DCX, await rewards.totalEmitted(), await rewards.totalClaimed()]);
      const epochZero = await storageWord(rewards, mappingSlot("uint256", 0n, slot + 6n));
      const { points, emission } = await rewards.epochOf(0);
      expect([packedField(epochZero, 0, 128), packedField(epochZero, 16, 128)]).to.deep.equal([points, emission]);
      const account = mappingSlot("address", provider.address, slot + 7n);
      const accountWord = await storageWord(rewards, account);
      // The provider claimed epoch 0 and has epoch 1's points pending.
      expect(packedField(accountWord, 0, 64)).to.equal(1n);
      expect(packedField(accountWord, 8, 128)).to.equal((await rewards.epochOf(1)).points);
      const accrued = await storageWord(rewards, account + 1n);
      expect(accrued).to.equal(0n);
      // Epoch 1's fee cap follows: $50 of fees, half of it in DCX at $0.50.
      const cap = await storageWord(rewards, account + 2n);
      expect(cap).to.equal(50n * DCX);
      const rewardPerFee = await storageWord(rewards, slot + 8n);
      expect(rewardPerFee).to.equal(await rewards.rewardPerFeeBps());
      return [first, ...siblings, ...amounts, epochZero, accountWord, accrued, cap, rewardPerFee];
    },
    badLayouts: [
      { contract: "RewardDistributorV2BadLayout", error: /Upgraded `epochSeconds` to an incompatible type/ },
    ],
  },
  {
    name: "ResourceVerifier",
    namespaces: [
      { id: VERIFIER_NS, source: "contracts/core/ResourceVerifier.sol", constant: "STORAGE_LOCATION" },
      { id: QUORUM_NS, source: "contracts/access/QuorumSigned.sol", constant: "QUORUM_STORAGE_LOCATION" },
    ],
    proxy: (f) => f.verifier,
    initializeArgs: async (f) => [
      f.deployer.address,
      await f.marketplace.getAddress(),
      [f.oracle.address],
      1,
      await f.verifier.maxValidity(),
    ],
    snapshot: async ({ verifier, oracle, secondVerifier, outsider, attestations }) => ({
      signers: [
        await verifier.quorum(),
        await verifier.signerCount(),
        ...(await Promise.all([oracle, secondVerifier, outsider].map((s) => verifier.isSigner(s)))),
      ],
      maxValidity: await verifier.maxValidity(),
      verifications: [plain(await verifier.verificationOf(1n)), plain(await verifier.verificationOf(2n))],
      verified: [await verifier.isVerified(1n), await verifier.isVerified(2n)],
      // The EIP-712 domain (name and version live in the proxy's storage) must not change either.
      digest: await verifier.attestationDigest(attestations[0]!),
      domain: plain(await verifier.eip712Domain()),
    }),
    async checkLayout({ verifier, marketplace, oracle, secondVerifier, attestations }) {
      const slot = erc7201Slot(VERIFIER_NS);
      const first = await storageWord(verifier, slot);
      expect(packedAddress(first)).to.equal(await marketplace.getAddress());
      expect(packedField(first, 20, 64)).to.equal(await verifier.maxValidity());
      const words = [first];
      for (const [index, attestation] of attestations.entries()) {
        const word = await storageWord(verifier, mappingSlot("uint256", attestation.resourceId, slot + 1n));
        expect([
          packedField(word, 0, 32),
          packedField(word, 4, 64),
          packedField(word, 12, 64),
          packedField(word, 20, 8),
        ]).to.deep.equal([1n, BigInt(attestation.issuedAt), BigInt(attestation.expiresAt), index === 1 ? 1n : 0n]);
        words.push(word);
      }
      // The signer set lives in the QuorumSigned namespace shared with SLAEnforcement.
      const quorumSlot = erc7201Slot(QUORUM_NS);
      const quorumWord = await storageWord(verifier, quorumSlot);
      expect([packedField(quorumWord, 0, 16), packedField(quorumWord, 2, 16)]).to.deep.equal([1n, 2n]);
      for (const signer of [oracle, secondVerifier]) {
        const flag = await storageWord(verifier, mappingSlot("address", signer.address, quorumSlot + 1n));
        expect(flag).to.equal(1n);
        words.push(flag);
      }
      return [...words, quorumWord];
    },
    badLayouts: [
      { contract: "ResourceVerifierV2BadLayout", error: /Inserted `attestationCount`/ },
      { contract: "ResourceVerifierV2BadQuorumLayout", error: /Upgraded `signers` to an incompatible type/ },
    ],
  },
];

describe("Upgrades of the DAO's contracts", function () {
  for (const c of cases) {
    describe(c.name, function () {
      shouldUpgradeSafely(deployWithHistoryFixture, c);

      it("lets only UPGRADER_ROLE upgrade: not the deployer any more, nor a mere admin", async function () {
        const f = await loadFixture(deployWithHistoryFixture);
        const proxy = await ethers.getContractAt("ManagedUpgradeable", await c.proxy(f).getAddress());
        const upgraderRole = await proxy.UPGRADER_ROLE();
        const v2 = await ethers.deployContract(`${c.name}V2`);
        const v2Address = await v2.getAddress();

        for (const caller of [f.outsider, f.deployer]) {
          await expect(proxy.connect(caller).upgradeToAndCall(v2Address, "0x"))
            .to.be.revertedWithCustomError(proxy, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, upgraderRole);
        }
        const timelock = f.admin;
        await proxy.connect(timelock).grantRole(await proxy.DEFAULT_ADMIN_ROLE(), f.outsider.address);
        await expect(proxy.connect(f.outsider).upgradeToAndCall(v2Address, "0x"))
          .to.be.revertedWithCustomError(proxy, "AccessControlUnauthorizedAccount")
          .withArgs(f.outsider.address, upgraderRole);

        await proxy.connect(timelock).grantRole(upgraderRole, f.outsider.address);
        await expect(proxy.connect(f.outsider).upgradeToAndCall(v2Address, "0x"))
          .to.emit(proxy, "Upgraded")
          .withArgs(v2Address);
        expect(await upgradesApi.erc1967.getImplementationAddress(await proxy.getAddress())).to.equal(v2Address);
      });
    });
  }

  describe("DAOGovernance", function () {
    const GOVERNOR_NS = "openzeppelin.storage.Governor";
    const SETTINGS_NS = "openzeppelin.storage.GovernorSettings";
    const GOVERNOR_VOTES_NS = "openzeppelin.storage.GovernorVotes";
    const TIMELOCK_CONTROL_NS = "openzeppelin.storage.GovernorTimelockControl";
    const namespaces: Namespace[] = [
      { id: GOVERNOR_NS, source: `${OZ}/governance/GovernorUpgradeable.sol`, constant: "GovernorStorageLocation" },
      {
        id: SETTINGS_NS,
        source: `${OZ}/governance/extensions/GovernorSettingsUpgradeable.sol`,
        constant: "GovernorSettingsStorageLocation",
      },
      {
        id: GOVERNOR_VOTES_NS,
        source: `${OZ}/governance/extensions/GovernorVotesUpgradeable.sol`,
        constant: "GovernorVotesStorageLocation",
      },
      {
        id: TIMELOCK_CONTROL_NS,
        source: `${OZ}/governance/extensions/GovernorTimelockControlUpgradeable.sol`,
        constant: "GovernorTimelockControlStorageLocation",
      },
    ];

    /** What the governor knows, through its getters; none of it depends on the current time. */
    async function snapshot({
      governor,
      voters,
      passedProposal,
      canceledProposalId,
      openProposalId,
      pastTimepoint,
    }: Fixture) {
      const proposal = async (id: bigint) => [
        await governor.proposalProposer(id),
        await governor.proposalSnapshot(id),
        await governor.proposalDeadline(id),
        await governor.proposalEta(id),
        plain(await governor.proposalVotes(id)),
        await Promise.all(voters.map((v) => governor.hasVoted(id, v))),
      ];
      return {
        identity: [await governor.name(), await governor.version(), plain(await governor.eip712Domain())],
        settings: [
          await governor.votingDelay(),
          await governor.votingPeriod(),
          await governor.proposalThreshold(),
          await governor["quorumNumerator()"](),
          await governor.quorum(pastTimepoint),
        ],
        wiring: [await governor.token(), await governor.timelock(), await governor.CLOCK_MODE()],
        passed: [await governor.state(passedProposal), ...(await proposal(passedProposal))],
        canceled: [await governor.state(canceledProposalId), ...(await proposal(canceledProposalId))],
        open: await proposal(openProposalId),
      };
    }

    /** Asserts where known state lives in OpenZeppelin's governor namespaces; returns the words it read. */
    async function checkLayout({
      governor,
      dcx,
      timelock,
      voters,
      passedProposal,
      canceledProposalId,
      governanceSettings,
    }: Fixture) {
      const governorSlot = erc7201Slot(GOVERNOR_NS);
      const name = await storageWord(governor, governorSlot);
      expect(shortString(name)).to.equal("D-CloudX DAO");
      const proposal = mappingSlot("uint256", passedProposal, governorSlot + 1n);
      const core = await storageWord(governor, proposal);
      expect(packedAddress(core)).to.equal(voters[0]!.address);
      expect(packedField(core, 20, 48)).to.equal(await governor.proposalSnapshot(passedProposal));
      expect(packedField(core, 26, 32)).to.equal(BigInt(governanceSettings.votingPeriodSeconds));
      expect([packedField(core, 30, 8), packedField(core, 31, 8)]).to.deep.equal([1n, 0n]);
      const eta = await storageWord(governor, proposal + 1n);
      expect(eta).to.equal(await governor.proposalEta(passedProposal));
      const canceled = await storageWord(governor, mappingSlot("uint256", canceledProposalId, governorSlot + 1n));
      expect(packedAddress(canceled)).to.equal(voters[2]!.address);
      expect([packedField(canceled, 30, 8), packedField(canceled, 31, 8)]).to.deep.equal([0n, 1n]);
      const settingsSlot = erc7201Slot(SETTINGS_NS);
      const threshold = await storageWord(governor, settingsSlot);
      expect(threshold).to.equal(governanceSettings.proposalThreshold);
      const periods = await storageWord(governor, settingsSlot + 1n);
      expect([packedField(periods, 0, 48), packedField(periods, 6, 32)]).to.deep.equal([
        BigInt(governanceSettings.votingDelaySeconds),
        BigInt(governanceSettings.votingPeriodSeconds),
      ]);
      const token = await storageWord(governor, erc7201Slot(GOVERNOR_VOTES_NS));
      expect(packedAddress(token)).to.equal(await dcx.getAddress());
      const timelockWord = await storageWord(governor, erc7201Slot(TIMELOCK_CONTROL_NS));
      expect(packedAddress(timelockWord)).to.equal(await timelock.getAddress());
      return [name, core, eta, canceled, threshold, periods, token, timelockWord];
    }

    it(`keeps its state at the ERC-7201 slots of OpenZeppelin's governor namespaces`, async function () {
      const f = await loadFixture(deployWithHistoryFixture);
      for (const namespace of namespaces) checkNamespaceConstant(namespace);
      await checkLayout(f);
      const { governor, passedProposal, canceledProposalId, openProposalId } = f;
      expect(await governor.state(passedProposal)).to.equal(ProposalState.Executed);
      expect(await governor.state(canceledProposalId)).to.equal(ProposalState.Canceled);
      expect(await governor.state(openProposalId)).to.equal(ProposalState.Active);
    });

    it("upgrades to a V2 through a passed proposal, keeping its state, and governs on", async function () {
      const f = await loadFixture(deployWithHistoryFixture);
      const { governor, rewards, voters } = f;
      const governorAddress = await governor.getAddress();
      const v1Implementation = await upgradesApi.erc1967.getImplementationAddress(governorAddress);
      const v2Factory = await ethers.getContractFactory("DAOGovernanceV2");
      const stateBefore = await snapshot(f);
      const wordsBefore = await checkLayout(f);
      const v2 = v2Factory.attach(governorAddress);
      await expect(v2.getFunction("implementationVersion")()).to.be.revertedWithoutReason(ethers);

      // prepareUpgrade validates the new implementation against the proxy's and deploys it.
      const v2Implementation = (await upgradesApi.prepareUpgrade(governor, v2Factory, { kind: "uups" })) as string;
      await passProposal(connection, governor, voters, {
        targets: [governorAddress],
        values: [0n],
        calldatas: [governor.interface.encodeFunctionData("upgradeToAndCall", [v2Implementation, "0x"])],
        description: "Upgrade the governor to V2",
      });

      expect(await upgradesApi.erc1967.getImplementationAddress(governorAddress)).to.equal(v2Implementation);
      expect(v2Implementation).to.not.equal(v1Implementation);
      expect(await v2.getFunction("implementationVersion")()).to.equal(2n);
      expect(await snapshot(f)).to.deep.equal(stateBefore);
      expect(await checkLayout(f)).to.deep.equal(wordsBefore);

      await passProposal(connection, governor, voters, {
        targets: [await rewards.getAddress()],
        values: [0n],
        calldatas: [rewards.interface.encodeFunctionData("setEmissionRate", [3n * DCX])],
        description: "Triple the DCX emission rate, through the upgraded governor",
      });
      expect(await rewards.emissionRate()).to.equal(3n * DCX);
    });

    it("cannot be upgraded by a direct call from anyone, not even from the timelock", async function () {
      const f = await loadFixture(deployWithHistoryFixture);
      const { governor } = f;
      const governorAddress = await governor.getAddress();
      const implementation = await upgradesApi.erc1967.getImplementationAddress(governorAddress);
      const v2 = await ethers.deployContract("DAOGovernanceV2");

      for (const caller of [f.outsider, f.deployer, f.voters[0]!]) {
        await expect(governor.connect(caller).upgradeToAndCall(v2, "0x"))
          .to.be.revertedWithCustomError(governor, "GovernorOnlyExecutor")
          .withArgs(caller.address);
      }
      // The timelock is the executor, but only a proposal being executed queues the call it may make;
      // without one, the governor pops an empty queue.
      await expect(governor.connect(f.admin).upgradeToAndCall(v2, "0x")).to.be.revertedWithPanic(
        PANIC_CODES.POP_ON_EMPTY_ARRAY,
      );
      expect(await upgradesApi.erc1967.getImplementationAddress(governorAddress)).to.equal(implementation);
    });

    it("cannot be initialized through its implementation, nor again through its proxy", async function () {
      const f = await loadFixture(deployWithHistoryFixture);
      const { governor, governanceSettings: s } = f;
      const args = [
        await f.dcx.getAddress(),
        await f.timelock.getAddress(),
        s.votingDelaySeconds,
        s.votingPeriodSeconds,
        s.proposalThreshold,
        s.quorumPercent,
      ] as const;
      const implementationAddress = await upgradesApi.erc1967.getImplementationAddress(await governor.getAddress());
      const implementation = governor.attach(implementationAddress) as typeof governor;

      await expect(implementation.initialize(...args)).to.be.revertedWithCustomError(governor, "InvalidInitialization");
      await expect(governor.initialize(...args)).to.be.revertedWithCustomError(governor, "InvalidInitialization");
    });
  });
});
