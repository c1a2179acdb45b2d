import { expect } from "chai";
import type { Signer } from "ethers";

import { delegationTypes, permitTypes } from "@d-cloudx/sdk";

import { LOCAL_GOVERNANCE } from "../../scripts/lib/governance.ts";
import { ethers, networkHelpers, deployFixture } from "../helpers/fixture.ts";

const { loadFixture, time, mine } = networkHelpers;

const DCX = 10n ** 18n;
const PERMIT_TYPES = { Permit: [...permitTypes.Permit] }; // ethers wants mutable arrays
const DELEGATION_TYPES = { Delegation: [...delegationTypes.Delegation] }; // ethers wants mutable arrays

/**
 * The full protocol, plus `minter`: an account the timelock made a DCX minter, and `holder`: an
 * account with no DCX and no delegate.
 */
async function tokenFixture() {
  const f = await deployFixture();
  const signers = await ethers.getSigners();
  const minter = signers[13]!;
  const holder = signers[14]!;
  const timelock = f.admin;
  await f.dcx.connect(timelock).grantRole(await f.dcx.MINTER_ROLE(), minter.address);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = { name: "D-CloudX", version: "1", chainId, verifyingContract: await f.dcx.getAddress() };
  return { ...f, minter, holder, timelock, domain };
}

type Fixture = Awaited<ReturnType<typeof tokenFixture>>;

async function latestTimestamp(): Promise<number> {
  return (await ethers.provider.getBlock("latest"))!.timestamp;
}

/** A permit signed by `signer`, for `owner` (the signer itself unless given). */
async function signPermit(
  f: Fixture,
  signer: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
  { nonce, owner }: { nonce?: bigint; owner?: string } = {},
) {
  const ownerAddress = owner ?? (await signer.getAddress());
  const message = {
    owner: ownerAddress,
    spender,
    value,
    nonce: nonce ?? (await f.dcx.nonces(ownerAddress)),
    deadline,
  };
  const signature = ethers.Signature.from(await signer.signTypedData(f.domain, PERMIT_TYPES, message));
  return { message, signature };
}

async function signDelegation(f: Fixture, signer: Signer, delegatee: string, expiry: bigint, nonce?: bigint) {
  const message = { delegatee, nonce: nonce ?? (await f.dcx.nonces(await signer.getAddress())), expiry };
  const signature = ethers.Signature.from(await signer.signTypedData(f.domain, DELEGATION_TYPES, message));
  return { message, signature };
}

describe("DCXToken", function () {
  describe("metadata and supply", function () {
    it("is D-CloudX (DCX) with 18 decimals, capped at the configured maximum", async function () {
      const { dcx } = await loadFixture(tokenFixture);
      expect(await dcx.name()).to.equal("D-CloudX");
      expect(await dcx.symbol()).to.equal("DCX");
      expect(await dcx.decimals()).to.equal(18n);
      expect(await dcx.cap()).to.equal(LOCAL_GOVERNANCE.dcxCap);
      expect(await dcx.cap()).to.equal(1_000_000_000n * DCX);
    });

    it("minted the treasury and every demo account their allocation, and nothing else", async function () {
      const { dcx, roles, treasury, outsider } = await loadFixture(tokenFixture);
      const { treasuryAllocation, demoAllocation } = LOCAL_GOVERNANCE;
      expect(roles.demoAccounts).to.have.length(10);
      for (const account of roles.demoAccounts) {
        // The treasury (account #1) is also a demo account on local chains.
        const expected = account === treasury.address ? treasuryAllocation + demoAllocation : demoAllocation;
        expect(await dcx.balanceOf(account)).to.equal(expected);
      }
      expect(await dcx.balanceOf(treasury.address)).to.equal(110_000_000n * DCX);
      expect(await dcx.balanceOf(outsider.address)).to.equal(0n);
      expect(await dcx.totalSupply()).to.equal(treasuryAllocation + 10n * demoAllocation);
      expect(await dcx.totalSupply()).to.equal(200_000_000n * DCX);
    });

    it("refuses a second initialization", async function () {
      const { dcx, outsider } = await loadFixture(tokenFixture);
      await expect(dcx.initialize(outsider.address, 1n, [])).to.be.revertedWithCustomError(
        dcx,
        "InvalidInitialization",
      );
    });
  });

  describe("minting", function () {
    it("lets only MINTER_ROLE mint, which the reward distributor holds", async function () {
      const { dcx, rewards, outsider, deployer, timelock } = await loadFixture(tokenFixture);
      const role = await dcx.MINTER_ROLE();
      expect(role).to.equal(ethers.id("MINTER_ROLE"));
      expect(await dcx.hasRole(role, await rewards.getAddress())).to.equal(true);
      for (const caller of [outsider, deployer, timelock]) {
        await expect(dcx.connect(caller).mint(caller.address, 1n))
          .to.be.revertedWithCustomError(dcx, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
    });

    it("mints to any account and counts it in the supply", async function () {
      const { dcx, minter, outsider } = await loadFixture(tokenFixture);
      const supply = await dcx.totalSupply();
      await expect(dcx.connect(minter).mint(outsider.address, 5n * DCX))
        .to.emit(dcx, "Transfer")
        .withArgs(ethers.ZeroAddress, outsider.address, 5n * DCX);
      expect(await dcx.balanceOf(outsider.address)).to.equal(5n * DCX);
      expect(await dcx.totalSupply()).to.equal(supply + 5n * DCX);
    });

    it("mints exactly up to the cap and never beyond it", async function () {
      const { dcx, minter, outsider } = await loadFixture(tokenFixture);
      const cap = await dcx.cap();
      const room = cap - (await dcx.totalSupply());
      await expect(dcx.connect(minter).mint(outsider.address, room + 1n))
        .to.be.revertedWithCustomError(dcx, "ERC20ExceededCap")
        .withArgs(cap + 1n, cap);
      await dcx.connect(minter).mint(outsider.address, room);
      expect(await dcx.totalSupply()).to.equal(cap);
      expect(await dcx.balanceOf(outsider.address)).to.equal(room);
      await expect(dcx.connect(minter).mint(outsider.address, 1n))
        .to.be.revertedWithCustomError(dcx, "ERC20ExceededCap")
        .withArgs(cap + 1n, cap);
    });
  });

  describe("EIP-2612 permits", function () {
    it("sets the allowance from a valid signature and bumps the owner's nonce", async function () {
      const f = await loadFixture(tokenFixture);
      const [owner, spender] = f.voters;
      const deadline = BigInt(await latestTimestamp()) + 3_600n;
      const { signature } = await signPermit(f, owner!, spender!.address, 1_234n * DCX, deadline);
      expect(await f.dcx.nonces(owner!.address)).to.equal(0n);
      // Anyone may submit the permit; here the outsider pays the gas.
      await expect(
        f.dcx
          .connect(f.outsider)
          .permit(owner!.address, spender!.address, 1_234n * DCX, deadline, signature.v, signature.r, signature.s),
      )
        .to.emit(f.dcx, "Approval")
        .withArgs(owner!.address, spender!.address, 1_234n * DCX);
      expect(await f.dcx.allowance(owner!.address, spender!.address)).to.equal(1_234n * DCX);
      expect(await f.dcx.nonces(owner!.address)).to.equal(1n);

      await f.dcx.connect(spender!).transferFrom(owner!.address, f.outsider.address, 1_000n * DCX);
      expect(await f.dcx.balanceOf(f.outsider.address)).to.equal(1_000n * DCX);
      expect(await f.dcx.allowance(owner!.address, spender!.address)).to.equal(234n * DCX);
    });

    it("exposes its EIP-712 domain", async function () {
      const f = await loadFixture(tokenFixture);
      const domain = await f.dcx.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        f.domain.name,
        f.domain.version,
        f.domain.chainId,
        f.domain.verifyingContract,
      ]);
      expect(await f.dcx.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(f.domain));
    });

    it("rejects an expired deadline", async function () {
      const f = await loadFixture(tokenFixture);
      const [owner, spender] = f.voters;
      const deadline = BigInt(await latestTimestamp()) + 10n;
      const { signature } = await signPermit(f, owner!, spender!.address, DCX, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.dcx.permit(owner!.address, spender!.address, DCX, deadline, signature.v, signature.r, signature.s))
        .to.be.revertedWithCustomError(f.dcx, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await f.dcx.nonces(owner!.address)).to.equal(0n);
    });

    it("accepts a permit in the very second of its deadline", async function () {
      const f = await loadFixture(tokenFixture);
      const [owner, spender] = f.voters;
      const deadline = BigInt(await latestTimestamp()) + 10n;
      const { signature } = await signPermit(f, owner!, spender!.address, DCX, deadline);
      await time.setNextBlockTimestamp(deadline);
      await f.dcx.permit(owner!.address, spender!.address, DCX, deadline, signature.v, signature.r, signature.s);
      expect(await f.dcx.allowance(owner!.address, spender!.address)).to.equal(DCX);
    });

    it("rejects a signature by anyone but the owner, or for other values", async function () {
      const f = await loadFixture(tokenFixture);
      const [owner, spender, intruder] = f.voters;
      const deadline = BigInt(await latestTimestamp()) + 3_600n;
      // The intruder signs a permit naming the owner.
      const { message, signature } = await signPermit(f, intruder!, spender!.address, DCX, deadline, {
        owner: owner!.address,
      });
      expect(ethers.verifyTypedData(f.domain, PERMIT_TYPES, message, signature)).to.equal(intruder!.address);
      await expect(f.dcx.permit(owner!.address, spender!.address, DCX, deadline, signature.v, signature.r, signature.s))
        .to.be.revertedWithCustomError(f.dcx, "ERC2612InvalidSigner")
        .withArgs(intruder!.address, owner!.address);

      // The owner's own signature, submitted with a larger value, recovers to some other address.
      const own = await signPermit(f, owner!, spender!.address, DCX, deadline);
      const recovered = ethers.verifyTypedData(
        f.domain,
        PERMIT_TYPES,
        { ...own.message, value: 2n * DCX },
        own.signature,
      );
      await expect(
        f.dcx.permit(
          owner!.address,
          spender!.address,
          2n * DCX,
          deadline,
          own.signature.v,
          own.signature.r,
          own.signature.s,
        ),
      )
        .to.be.revertedWithCustomError(f.dcx, "ERC2612InvalidSigner")
        .withArgs(recovered, owner!.address);
      expect(await f.dcx.allowance(owner!.address, spender!.address)).to.equal(0n);
    });

    it("cannot be replayed: the used nonce makes the signature recover to another address", async function () {
      const f = await loadFixture(tokenFixture);
      const [owner, spender] = f.voters;
      const deadline = BigInt(await latestTimestamp()) + 3_600n;
      const { message, signature } = await signPermit(f, owner!, spender!.address, 5n * DCX, deadline);
      const submit = () =>
        f.dcx.permit(owner!.address, spender!.address, 5n * DCX, deadline, signature.v, signature.r, signature.s);
      await submit();
      // The spender spends the allowance, then tries to restore it with the same signature.
      await f.dcx.connect(spender!).transferFrom(owner!.address, spender!.address, 5n * DCX);
      const recovered = ethers.verifyTypedData(f.domain, PERMIT_TYPES, { ...message, nonce: 1n }, signature);
      expect(recovered).to.not.equal(owner!.address);
      await expect(submit())
        .to.be.revertedWithCustomError(f.dcx, "ERC2612InvalidSigner")
        .withArgs(recovered, owner!.address);
      expect(await f.dcx.allowance(owner!.address, spender!.address)).to.equal(0n);
      expect(await f.dcx.nonces(owner!.address)).to.equal(1n);
    });
  });

  describe("votes on a timestamp clock", function () {
    it("uses the block timestamp as its clock", async function () {
      const { dcx } = await loadFixture(tokenFixture);
      expect(await dcx.CLOCK_MODE()).to.equal("mode=timestamp");
      expect(await dcx.clock()).to.equal(BigInt(await latestTimestamp()));
      await time.increase(1_000);
      expect(await dcx.clock()).to.equal(BigInt(await latestTimestamp()));
    });

    it("counts each demo account's self-delegated balance as its votes", async function () {
      const { dcx, roles, outsider } = await loadFixture(tokenFixture);
      let votes = 0n;
      for (const account of roles.demoAccounts) {
        expect(await dcx.delegates(account)).to.equal(account);
        expect(await dcx.getVotes(account)).to.equal(await dcx.balanceOf(account));
        votes += await dcx.getVotes(account);
      }
      expect(votes).to.equal(await dcx.totalSupply());
      expect(await dcx.delegates(outsider.address)).to.equal(ethers.ZeroAddress);
      expect(await dcx.getVotes(outsider.address)).to.equal(0n);
    });

    it("delegates, emitting DelegateChanged and DelegateVotesChanged", async function () {
      const { dcx, voters, holder } = await loadFixture(tokenFixture);
      const [a, b] = voters;
      const balance = await dcx.balanceOf(a!.address);
      await expect(dcx.connect(a!).delegate(b!.address))
        .to.emit(dcx, "DelegateChanged")
        .withArgs(a!.address, a!.address, b!.address)
        .and.to.emit(dcx, "DelegateVotesChanged")
        .withArgs(a!.address, balance, 0n)
        .and.to.emit(dcx, "DelegateVotesChanged")
        .withArgs(b!.address, balance, 2n * balance);
      expect(await dcx.delegates(a!.address)).to.equal(b!.address);
      expect(await dcx.getVotes(a!.address)).to.equal(0n);
      expect(await dcx.getVotes(b!.address)).to.equal(2n * balance);

      // An account without tokens changes delegate without moving votes.
      await expect(dcx.connect(holder).delegate(a!.address))
        .to.emit(dcx, "DelegateChanged")
        .withArgs(holder.address, ethers.ZeroAddress, a!.address)
        .and.not.to.emit(dcx, "DelegateVotesChanged");
    });

    it("moves votes with transfers between delegated accounts and out to undelegated ones", async function () {
      const { dcx, voters, holder } = await loadFixture(tokenFixture);
      const [a, b] = voters;
      const start = await dcx.getVotes(a!.address);
      await expect(dcx.connect(a!).transfer(b!.address, 1_000n * DCX))
        .to.emit(dcx, "DelegateVotesChanged")
        .withArgs(a!.address, start, start - 1_000n * DCX)
        .and.to.emit(dcx, "DelegateVotesChanged")
        .withArgs(b!.address, start, start + 1_000n * DCX);
      expect(await dcx.getVotes(a!.address)).to.equal(start - 1_000n * DCX);
      expect(await dcx.getVotes(b!.address)).to.equal(start + 1_000n * DCX);

      // Tokens held by an undelegated account count as no one's votes, until it delegates.
      await dcx.connect(b!).transfer(holder.address, 300n * DCX);
      expect(await dcx.getVotes(b!.address)).to.equal(start + 700n * DCX);
      expect(await dcx.getVotes(holder.address)).to.equal(0n);
      await dcx.connect(holder).delegate(holder.address);
      expect(await dcx.getVotes(holder.address)).to.equal(300n * DCX);
      await dcx.connect(holder).transfer(a!.address, 100n * DCX);
      expect(await dcx.getVotes(holder.address)).to.equal(200n * DCX);
      expect(await dcx.getVotes(a!.address)).to.equal(start - 900n * DCX);
    });

    it("delegates by signature, once per nonce and before the expiry", async function () {
      const f = await loadFixture(tokenFixture);
      const { dcx, holder, outsider } = f;
      const [a, b] = f.voters;
      await dcx.connect(a!).transfer(holder.address, 50n * DCX);
      const expiry = BigInt(await latestTimestamp()) + 3_600n;
      const { signature } = await signDelegation(f, holder, b!.address, expiry);
      const votesBefore = await dcx.getVotes(b!.address);
      const submit = () =>
        dcx.connect(outsider).delegateBySig(b!.address, 0n, expiry, signature.v, signature.r, signature.s);
      await expect(submit())
        .to.emit(dcx, "DelegateChanged")
        .withArgs(holder.address, ethers.ZeroAddress, b!.address)
        .and.to.emit(dcx, "DelegateVotesChanged")
        .withArgs(b!.address, votesBefore, votesBefore + 50n * DCX);
      expect(await dcx.delegates(holder.address)).to.equal(b!.address);
      expect(await dcx.nonces(holder.address)).to.equal(1n);
      await expect(submit()).to.be.revertedWithCustomError(dcx, "InvalidAccountNonce").withArgs(holder.address, 1n);

      // Permits and delegations share the nonce: a permit signed with nonce 0 is now stale.
      const deadline = BigInt(await latestTimestamp()) + 3_600n;
      const permit = await signPermit(f, holder, a!.address, DCX, deadline, { nonce: 0n });
      const recovered = ethers.verifyTypedData(
        f.domain,
        PERMIT_TYPES,
        { ...permit.message, nonce: 1n },
        permit.signature,
      );
      await expect(
        dcx.permit(
          holder.address,
          a!.address,
          DCX,
          deadline,
          permit.signature.v,
          permit.signature.r,
          permit.signature.s,
        ),
      )
        .to.be.revertedWithCustomError(dcx, "ERC2612InvalidSigner")
        .withArgs(recovered, holder.address);

      const late = await signDelegation(f, holder, a!.address, expiry);
      await time.setNextBlockTimestamp(expiry + 1n);
      await expect(dcx.delegateBySig(a!.address, 1n, expiry, late.signature.v, late.signature.r, late.signature.s))
        .to.be.revertedWithCustomError(dcx, "VotesExpiredSignature")
        .withArgs(expiry);
      expect(await dcx.delegates(holder.address)).to.equal(b!.address);
    });

    it("answers past votes and past supply at the timestamps where they changed", async function () {
      const { dcx, voters, holder, minter } = await loadFixture(tokenFixture);
      const [a, b] = voters;
      const base = await dcx.getVotes(a!.address);
      const supply = await dcx.totalSupply();
      const t0 = BigInt(await latestTimestamp());
      const [t1, t2, t3] = [t0 + 100n, t0 + 250n, t0 + 400n];

      await time.setNextBlockTimestamp(t1);
      await dcx.connect(a!).transfer(b!.address, 1_000n * DCX);
      await time.setNextBlockTimestamp(t2);
      await dcx.connect(b!).transfer(holder.address, 400n * DCX);
      await time.setNextBlockTimestamp(t3);
      await dcx.connect(minter).mint(a!.address, 77n * DCX);
      await mine();

      const pastVotes = async (account: string, at: bigint) => dcx.getPastVotes(account, at);
      expect(await pastVotes(a!.address, t0)).to.equal(base);
      expect(await pastVotes(a!.address, t1 - 1n)).to.equal(base);
      expect(await pastVotes(a!.address, t1)).to.equal(base - 1_000n * DCX);
      expect(await pastVotes(a!.address, t3 - 1n)).to.equal(base - 1_000n * DCX);
      expect(await pastVotes(a!.address, t3)).to.equal(base - 923n * DCX);
      expect(await pastVotes(b!.address, t1 - 1n)).to.equal(base);
      expect(await pastVotes(b!.address, t1)).to.equal(base + 1_000n * DCX);
      expect(await pastVotes(b!.address, t2 - 1n)).to.equal(base + 1_000n * DCX);
      expect(await pastVotes(b!.address, t2)).to.equal(base + 600n * DCX);
      expect(await pastVotes(holder.address, t2)).to.equal(0n);

      expect(await dcx.getPastTotalSupply(t1)).to.equal(supply);
      expect(await dcx.getPastTotalSupply(t3 - 1n)).to.equal(supply);
      expect(await dcx.getPastTotalSupply(t3)).to.equal(supply + 77n * DCX);

      // Checkpoints are keyed by timestamp, not block number.
      const count = await dcx.numCheckpoints(a!.address);
      const last = await dcx.checkpoints(a!.address, count - 1n);
      const previous = await dcx.checkpoints(a!.address, count - 2n);
      expect([last._key, last._value]).to.deep.equal([t3, base - 923n * DCX]);
      expect([previous._key, previous._value]).to.deep.equal([t1, base - 1_000n * DCX]);
    });

    it("refuses to look up the present or the future", async function () {
      const { dcx, voters } = await loadFixture(tokenFixture);
      const now = await dcx.clock();
      await expect(dcx.getPastVotes(voters[0]!.address, now))
        .to.be.revertedWithCustomError(dcx, "ERC5805FutureLookup")
        .withArgs(now, now);
      await expect(dcx.getPastTotalSupply(now + 1_000n))
        .to.be.revertedWithCustomError(dcx, "ERC5805FutureLookup")
        .withArgs(now + 1_000n, now);
      expect(await dcx.getPastTotalSupply(now - 1n)).to.equal(await dcx.totalSupply());
    });
  });
});
