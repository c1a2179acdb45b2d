import { expect } from "chai";
import type { Signer } from "ethers";

import { attestationTypes, revocationTypes } from "@d-cloudx/sdk";

import { LOCAL_GOVERNANCE } from "../../scripts/lib/governance.ts";
import { ACCESS_CID, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";
import { deployUupsProxy, upgradesApi } from "../helpers/proxies.ts";

const { loadFixture, time } = networkHelpers;

const DAY = 86_400;
const YEAR = 365 * DAY;
const MAX_VALIDITY = LOCAL_GOVERNANCE.verifierMaxValiditySeconds;
const ATTESTATION_TYPE =
  "Attestation(uint256 resourceId,uint32 metadataVersion,string cloud,string region,string instanceType," +
  "bytes32 accountHash,uint64 issuedAt,uint64 expiresAt)";
const ATTESTATION_TYPES = { Attestation: [...attestationTypes.Attestation] }; // ethers wants mutable arrays

interface Attestation {
  resourceId: bigint;
  metadataVersion: number;
  cloud: string;
  region: string;
  instanceType: string;
  accountHash: string;
  issuedAt: number;
  expiresAt: number;
}

type Verifier = Signer & { address: string };

/** Signers ordered by ascending address, as QuorumSigned requires. */
function byAddress<T extends { address: string }>(signers: T[]): T[] {
  return [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/**
 * The deployed protocol (the oracle node is the only verifier, quorum 1) with helpers that build
 * attestations of the fixture's resource and sign them. Accounts #8–#10 are spare verifiers.
 */
async function verifierFixture() {
  const f = await deployFixture();
  const signers = await ethers.getSigners();
  const spareVerifiers = [signers[8]!, signers[9]!, signers[10]!];
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = {
    name: "D-CloudX Verifier",
    version: "1",
    chainId,
    verifyingContract: await f.verifier.getAddress(),
  };

  /** An attestation of the resource's current metadata, issued now and valid for a day. */
  async function attestation(overrides: Partial<Attestation> = {}): Promise<Attestation> {
    const now = await time.latest();
    return {
      resourceId: f.resourceId,
      metadataVersion: 1,
      cloud: "aws",
      region: "eu-west-1",
      instanceType: "m7i.xlarge",
      accountHash: ethers.id("aws:123456789012"),
      issuedAt: now,
      expiresAt: now + DAY,
      ...overrides,
    };
  }

  /** Signatures of `signers` over `att`, in the order given (sort them with byAddress). */
  function sign(att: Attestation, signers: Signer[] = [f.oracle]) {
    return Promise.all(signers.map((s) => s.signTypedData(domain, ATTESTATION_TYPES, att)));
  }

  /** Submits `att` signed by the oracle node. */
  async function verify(att: Attestation) {
    await f.verifier.submitAttestation(att, await sign(att));
    return att;
  }

  /** Signatures of `signers` (ordered by address) revoking the resource's latest verification. */
  async function signRevocation(resourceId: bigint, reason: string, signers: Verifier[] = [f.oracle]) {
    const { issuedAt } = await f.verifier.verificationOf(resourceId);
    const types = { Revocation: [...revocationTypes.Revocation] };
    return Promise.all(byAddress(signers).map((s) => s.signTypedData(domain, types, { resourceId, issuedAt, reason })));
  }

  /** Revokes with the verifiers' signatures, submitted by `by` (anyone). */
  async function revoke(resourceId: bigint, reason: string, by: Signer = f.outsider, signers: Verifier[] = [f.oracle]) {
    return f.verifier
      .connect(by)
      .revokeVerification(resourceId, reason, await signRevocation(resourceId, reason, signers));
  }

  return { ...f, spareVerifiers, domain, attestation, sign, verify, signRevocation, revoke };
}

/** The same, with a second verifier registered and a quorum of 2. */
async function twoOfTwoFixture() {
  const f = await verifierFixture();
  const timelock = f.admin;
  const second = f.spareVerifiers[0]!;
  await f.verifier.connect(timelock).addSigner(second.address);
  await f.verifier.connect(timelock).setQuorum(2);
  return { ...f, second, pair: byAddress([f.oracle, second]) };
}

/** What ResourceVerified reports for an accepted attestation. */
function verifiedArgs(att: Attestation) {
  return [
    att.resourceId,
    att.metadataVersion,
    att.cloud,
    att.region,
    att.instanceType,
    att.accountHash,
    att.issuedAt,
    att.expiresAt,
  ];
}

function verificationTuple(att: Attestation, revoked = false) {
  return [BigInt(att.metadataVersion), BigInt(att.issuedAt), BigInt(att.expiresAt), revoked];
}

describe("ResourceVerifier", function () {
  describe("deployment", function () {
    it("is wired to the marketplace, with the oracle node as its one verifier and the DAO as admin", async function () {
      const { verifier, marketplace, oracle, deployer, timelock } = await loadFixture(verifierFixture);
      expect(await marketplace.resourceVerifier()).to.equal(await verifier.getAddress());
      expect(await verifier.isSigner(oracle)).to.equal(true);
      expect(await verifier.isSigner(deployer)).to.equal(false);
      expect(await verifier.signerCount()).to.equal(1n);
      expect(await verifier.quorum()).to.equal(BigInt(LOCAL_GOVERNANCE.verifierQuorum));
      expect(await verifier.maxValidity()).to.equal(BigInt(MAX_VALIDITY));
      for (const role of [await verifier.DEFAULT_ADMIN_ROLE(), await verifier.UPGRADER_ROLE()]) {
        expect(await verifier.hasRole(role, timelock)).to.equal(true);
        expect(await verifier.hasRole(role, deployer)).to.equal(false);
      }
    });

    it("signs over the EIP-712 domain D-CloudX Verifier v1 and the Attestation type", async function () {
      const { verifier, domain } = await loadFixture(verifierFixture);
      const [, name, version, chainId, verifyingContract] = await verifier.eip712Domain();
      expect([name, version, chainId, verifyingContract]).to.deep.equal([
        domain.name,
        domain.version,
        domain.chainId,
        domain.verifyingContract,
      ]);
      expect(await verifier.ATTESTATION_TYPEHASH()).to.equal(ethers.id(ATTESTATION_TYPE));
      expect(ethers.TypedDataEncoder.from(ATTESTATION_TYPES).encodeType("Attestation")).to.equal(ATTESTATION_TYPE);
    });

    it("computes the digest that ethers computes for the typed data, field by field", async function () {
      const { verifier, domain, attestation } = await loadFixture(verifierFixture);
      const base = await attestation();
      const variants: Attestation[] = [
        base,
        { ...base, resourceId: 7n },
        { ...base, metadataVersion: 2 },
        { ...base, cloud: "gcp" },
        { ...base, region: "europe-west4" },
        { ...base, instanceType: "n2-standard-4" },
        { ...base, accountHash: ethers.id("gcp:project-42") },
        { ...base, issuedAt: base.issuedAt - 1 },
        { ...base, expiresAt: base.expiresAt + 1 },
        { ...base, cloud: "é".repeat(32), region: "ü", instanceType: "x".repeat(64) },
      ];
      const digests = new Set<string>();
      for (const variant of variants) {
        const digest = await verifier.attestationDigest(variant);
        expect(digest).to.equal(ethers.TypedDataEncoder.hash(domain, ATTESTATION_TYPES, variant));
        digests.add(digest);
      }
      expect(digests.size).to.equal(variants.length);
    });
  });

  describe("attestations", function () {
    it("records a quorum-signed attestation submitted by anyone; the marketplace shows it as verified", async function () {
      const { verifier, marketplace, outsider, resourceId, attestation, sign } = await loadFixture(verifierFixture);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);
      const att = await attestation();

      await expect(verifier.connect(outsider).submitAttestation(att, await sign(att)))
        .to.emit(verifier, "ResourceVerified")
        .withArgs(...verifiedArgs(att));

      expect(await verifier.isVerified(resourceId)).to.equal(true);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(true);
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(att));
    });

    it("needs the quorum: QuorumNotReached with the digest, the signatures and the quorum", async function () {
      const { verifier, oracle, second, pair, resourceId, attestation, sign } = await loadFixture(twoOfTwoFixture);
      const att = await attestation();
      const digest = await verifier.attestationDigest(att);

      for (const alone of [oracle, second]) {
        await expect(verifier.submitAttestation(att, await sign(att, [alone])))
          .to.be.revertedWithCustomError(verifier, "QuorumNotReached")
          .withArgs(digest, 1, 2);
      }
      await expect(verifier.submitAttestation(att, []))
        .to.be.revertedWithCustomError(verifier, "QuorumNotReached")
        .withArgs(digest, 0, 2);

      await expect(verifier.submitAttestation(att, await sign(att, pair))).to.emit(verifier, "ResourceVerified");
      expect(await verifier.isVerified(resourceId)).to.equal(true);
    });

    it("rejects a signature by anyone but a registered verifier", async function () {
      const { verifier, outsider, provider, oracle, attestation, sign } = await loadFixture(verifierFixture);
      const att = await attestation();
      for (const stranger of [outsider, provider]) {
        await expect(verifier.submitAttestation(att, await sign(att, [stranger])))
          .to.be.revertedWithCustomError(verifier, "QuorumUnknownSigner")
          .withArgs(stranger.address);
      }
      // A verifier's signature over other claims recovers to some other address.
      const [signature] = await sign(att, [oracle]);
      const altered = { ...att, instanceType: "m7i.48xlarge" };
      const recovered = ethers.recoverAddress(await verifier.attestationDigest(altered), signature!);
      expect(recovered).to.not.equal(oracle.address);
      await expect(verifier.submitAttestation(altered, [signature!]))
        .to.be.revertedWithCustomError(verifier, "QuorumUnknownSigner")
        .withArgs(recovered);
    });

    it("rejects a signature that is not 65 bytes long", async function () {
      const { verifier, attestation, sign } = await loadFixture(verifierFixture);
      const att = await attestation();
      const [signature] = await sign(att);
      const truncated = ethers.dataSlice(signature!, 0, 64);
      await expect(verifier.submitAttestation(att, [truncated]))
        .to.be.revertedWithCustomError(verifier, "ECDSAInvalidSignatureLength")
        .withArgs(64);
    });

    it("counts each verifier once: duplicate and unordered signatures are rejected", async function () {
      const { verifier, oracle, pair, attestation, sign } = await loadFixture(twoOfTwoFixture);
      const att = await attestation();
      const [oracleSignature] = await sign(att, [oracle]);
      await expect(verifier.submitAttestation(att, [oracleSignature!, oracleSignature!]))
        .to.be.revertedWithCustomError(verifier, "QuorumDuplicateSigner")
        .withArgs(oracle.address);

      const [low, high] = pair;
      await expect(verifier.submitAttestation(att, await sign(att, [high!, low!])))
        .to.be.revertedWithCustomError(verifier, "QuorumSignersUnordered")
        .withArgs(low!.address);
    });

    it("stops accepting a verifier's signatures once the DAO removes it", async function () {
      const { verifier, oracle, spareVerifiers, attestation, sign, admin } = await loadFixture(verifierFixture);
      const timelock = admin;
      await verifier.connect(timelock).addSigner(spareVerifiers[0]!.address);
      await verifier.connect(timelock).removeSigner(oracle.address);
      const att = await attestation();
      await expect(verifier.submitAttestation(att, await sign(att, [oracle])))
        .to.be.revertedWithCustomError(verifier, "QuorumUnknownSigner")
        .withArgs(oracle.address);
      await expect(verifier.submitAttestation(att, await sign(att, [spareVerifiers[0]!]))).to.emit(
        verifier,
        "ResourceVerified",
      );
    });
  });

  describe("validity", function () {
    it("is verified until expiresAt, and not from then on", async function () {
      const { verifier, marketplace, resourceId, attestation, verify } = await loadFixture(verifierFixture);
      const att = await verify(await attestation());
      await time.increaseTo(att.expiresAt - 1);
      expect(await verifier.isVerified(resourceId)).to.equal(true);
      await time.increaseTo(att.expiresAt);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);
      // The record stays; only its validity ran out.
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(att));
    });

    it("rejects an attestation that has expired by the time it is submitted", async function () {
      const { verifier, attestation, sign } = await loadFixture(verifierFixture);
      const now = await time.latest();
      // Expiring in the very second of submission, and a little before it.
      for (const [submittedAt, expiresAt] of [
        [now + 10, now + 10],
        [now + 20, now + 15],
      ] as const) {
        const att = await attestation({ issuedAt: now - 10, expiresAt });
        const signatures = await sign(att);
        await time.setNextBlockTimestamp(submittedAt);
        await expect(verifier.submitAttestation(att, signatures))
          .to.be.revertedWithCustomError(verifier, "VerifierInvalidValidity")
          .withArgs(att.issuedAt, att.expiresAt);
      }
    });

    it("accepts a validity of exactly the maximum and rejects a longer one", async function () {
      const { verifier, resourceId, attestation, sign } = await loadFixture(verifierFixture);
      const now = await time.latest();
      const tooLong = await attestation({ issuedAt: now, expiresAt: now + MAX_VALIDITY + 1 });
      await expect(verifier.submitAttestation(tooLong, await sign(tooLong)))
        .to.be.revertedWithCustomError(verifier, "VerifierInvalidValidity")
        .withArgs(now, now + MAX_VALIDITY + 1);

      const longest = await attestation({ issuedAt: now, expiresAt: now + MAX_VALIDITY });
      await verifier.submitAttestation(longest, await sign(longest));
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(longest));
    });

    it("rejects an attestation issued in the future, and accepts one issued in the same second", async function () {
      const { verifier, resourceId, attestation, sign } = await loadFixture(verifierFixture);
      const next = (await time.latest()) + 5;
      const early = await attestation({ issuedAt: next + 1, expiresAt: next + DAY });
      const signatures = await sign(early);
      await time.setNextBlockTimestamp(next);
      await expect(verifier.submitAttestation(early, signatures))
        .to.be.revertedWithCustomError(verifier, "VerifierInvalidValidity")
        .withArgs(next + 1, next + DAY);

      const onTime = await attestation({ issuedAt: next + 1, expiresAt: next + DAY });
      const onTimeSignatures = await sign(onTime);
      await time.setNextBlockTimestamp(next + 1);
      await verifier.submitAttestation(onTime, onTimeSignatures);
      expect(await verifier.isVerified(resourceId)).to.equal(true);
    });
  });

  describe("revocation", function () {
    it("revokes a verification on a quorum of verifiers' signatures, submitted by anyone", async function () {
      const { verifier, marketplace, outsider, resourceId, attestation, verify, revoke } =
        await loadFixture(verifierFixture);
      const att = await verify(await attestation());
      await expect(revoke(resourceId, "instance type withdrawn"))
        .to.emit(verifier, "VerificationRevoked")
        .withArgs(resourceId, outsider.address, "instance type withdrawn");
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(att, true));
    });

    it("lets the DAO revoke a verification without signatures", async function () {
      const { verifier, resourceId, attestation, verify, admin } = await loadFixture(verifierFixture);
      await verify(await attestation());
      await expect(verifier.connect(admin).revokeVerification(resourceId, "provider fraud", []))
        .to.emit(verifier, "VerificationRevoked")
        .withArgs(resourceId, admin.address, "provider fraud");
      expect(await verifier.isVerified(resourceId)).to.equal(false);
    });

    it("lets no one else revoke without signatures, not even a verifier, the provider or the deployer", async function () {
      const { verifier, outsider, provider, deployer, consumer, oracle, resourceId, attestation, verify } =
        await loadFixture(verifierFixture);
      await verify(await attestation());
      for (const caller of [outsider, provider, deployer, consumer, oracle]) {
        await expect(verifier.connect(caller).revokeVerification(resourceId, "no", []))
          .to.be.revertedWithCustomError(verifier, "VerifierUnauthorized")
          .withArgs(caller.address);
      }
      expect(await verifier.isVerified(resourceId)).to.equal(true);
    });

    it("needs the same quorum as an attestation: one verifier of two cannot revoke alone", async function () {
      const { verifier, oracle, second, pair, resourceId, attestation, sign, revoke, signRevocation } =
        await loadFixture(twoOfTwoFixture);
      const att = await attestation();
      await verifier.submitAttestation(att, await sign(att, pair));
      await expect(revoke(resourceId, "I alone say so", oracle, [oracle]))
        .to.be.revertedWithCustomError(verifier, "QuorumNotReached")
        .withArgs(await verifier.revocationDigest(resourceId, att.issuedAt, "I alone say so"), 1, 2);
      // Signatures bind the reason and the verification they revoke.
      const signatures = await signRevocation(resourceId, "agreed", [oracle, second]);
      await expect(verifier.revokeVerification(resourceId, "changed", signatures)).to.be.revertedWithCustomError(
        verifier,
        "QuorumUnknownSigner",
      );
      await expect(verifier.revokeVerification(resourceId, "agreed", signatures)).to.emit(
        verifier,
        "VerificationRevoked",
      );
    });

    it("rejects revoking twice, or revoking what was never verified", async function () {
      const { verifier, resourceId, attestation, verify, revoke } = await loadFixture(verifierFixture);
      await expect(revoke(resourceId, "none yet"))
        .to.be.revertedWithCustomError(verifier, "VerifierNotVerified")
        .withArgs(resourceId);
      await verify(await attestation());
      await revoke(resourceId, "first");
      await expect(revoke(resourceId, "second"))
        .to.be.revertedWithCustomError(verifier, "VerifierNotVerified")
        .withArgs(resourceId);
      await expect(revoke(99n, "unknown")).to.be.revertedWithCustomError(verifier, "VerifierNotVerified").withArgs(99n);
    });

    // Skipped: the contract contradicts IResourceVerifier's NatSpec. VerifierNotVerified is documented
    // as "The resource has no verification in force", but revokeVerification only checks that a
    // verification was recorded and is not revoked yet (ResourceVerifier.sol, revokeVerification), so
    // a verification that has expired, or that covers superseded metadata, is "revoked" and a
    // VerificationRevoked event is emitted for it. Harmless for isVerified, but misleading for
    // indexers and contrary to the spec. Either the check or the error's NatSpec should change.
    it("revokes the latest verification even once it has expired or been outdated", async function () {
      const { verifier, oracle, provider, marketplace, resourceId, attestation, verify, revoke } =
        await loadFixture(verifierFixture);
      const att = await verify(await attestation());
      await time.increaseTo(att.expiresAt);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      await expect(revoke(resourceId, "expired anyway", oracle))
        .to.emit(verifier, "VerificationRevoked")
        .withArgs(resourceId, oracle.address, "expired anyway");

      // Likewise for a verification of metadata that has since changed.
      await time.increase(60);
      await verify(await attestation());
      await marketplace.connect(provider).updateResourceMetadata(resourceId, ACCESS_CID);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      await expect(revoke(resourceId, "stale anyway")).to.emit(verifier, "VerificationRevoked");
      expect((await verifier.verificationOf(resourceId)).revoked).to.equal(true);
    });

    it("cannot be undone by replaying the revoked or an older attestation, only by a newer one", async function () {
      const { verifier, resourceId, attestation, sign, verify, revoke } = await loadFixture(verifierFixture);
      const older = await attestation();
      await time.increase(60);
      const att = await verify(await attestation());
      // A replay of the attestation in force is no news either.
      await expect(verifier.submitAttestation(att, await sign(att)))
        .to.be.revertedWithCustomError(verifier, "VerifierNotNewer")
        .withArgs(resourceId, att.issuedAt, att.issuedAt);
      await revoke(resourceId, "suspicious");

      await expect(verifier.submitAttestation(att, await sign(att)))
        .to.be.revertedWithCustomError(verifier, "VerifierNotNewer")
        .withArgs(resourceId, att.issuedAt, att.issuedAt);
      await expect(verifier.submitAttestation(older, await sign(older)))
        .to.be.revertedWithCustomError(verifier, "VerifierNotNewer")
        .withArgs(resourceId, older.issuedAt, att.issuedAt);
      expect(await verifier.isVerified(resourceId)).to.equal(false);

      await time.increase(60);
      const newer = await attestation({ accountHash: ethers.id("aws:210987654321") });
      await expect(verifier.submitAttestation(newer, await sign(newer)))
        .to.emit(verifier, "ResourceVerified")
        .withArgs(...verifiedArgs(newer));
      expect(await verifier.isVerified(resourceId)).to.equal(true);
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(newer));
    });
  });

  describe("the resource", function () {
    it("loses its verification when its metadata changes, until the new version is attested", async function () {
      const { verifier, marketplace, provider, resourceId, attestation, sign, verify } =
        await loadFixture(verifierFixture);
      const first = await verify(await attestation());
      await expect(marketplace.connect(provider).updateResourceMetadata(resourceId, ACCESS_CID))
        .to.emit(marketplace, "ResourceMetadataUpdated")
        .withArgs(resourceId, ACCESS_CID, 2);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(first));

      await time.increase(60);
      for (const metadataVersion of [1, 3]) {
        const wrong = await attestation({ metadataVersion });
        await expect(verifier.submitAttestation(wrong, await sign(wrong)))
          .to.be.revertedWithCustomError(verifier, "VerifierStaleMetadata")
          .withArgs(resourceId, metadataVersion, 2);
      }
      const current = await attestation({ metadataVersion: 2 });
      await expect(verifier.submitAttestation(current, await sign(current)))
        .to.emit(verifier, "ResourceVerified")
        .withArgs(...verifiedArgs(current));
      expect(await verifier.isVerified(resourceId)).to.equal(true);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(true);
    });

    it("must exist", async function () {
      const { verifier, attestation, sign } = await loadFixture(verifierFixture);
      for (const resourceId of [0n, 2n]) {
        const att = await attestation({ resourceId });
        await expect(verifier.submitAttestation(att, await sign(att)))
          .to.be.revertedWithCustomError(verifier, "VerifierUnknownResource")
          .withArgs(resourceId);
      }
      expect(await verifier.isVerified(2n)).to.equal(false);
    });

    it("is not verified once delisted, not even by a fresh attestation; a paused one stays verified", async function () {
      const { verifier, marketplace, provider, resourceId, attestation, verify } = await loadFixture(verifierFixture);
      await verify(await attestation());
      // Pausing only stops new bookings: the resource is still listed and still exists as described.
      await marketplace.connect(provider).setResourcePaused(resourceId, true);
      expect(await verifier.isVerified(resourceId)).to.equal(true);

      await marketplace.connect(provider).delistResource(resourceId);
      expect(await verifier.isVerified(resourceId)).to.equal(false);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);

      await time.increase(60);
      const fresh = await verify(await attestation());
      expect(await verifier.verificationOf(resourceId)).to.deep.equal(verificationTuple(fresh));
      expect(await verifier.isVerified(resourceId)).to.equal(false);
    });

    it("rejects empty or oversized claims (over 64 bytes), counting bytes rather than characters", async function () {
      const { verifier, attestation, sign } = await loadFixture(verifierFixture);
      const base = await attestation();
      const invalid = ["", "x".repeat(65), "é".repeat(33)];
      for (const claim of invalid) {
        for (const field of ["cloud", "region", "instanceType"] as const) {
          const att = { ...base, [field]: claim };
          await expect(verifier.submitAttestation(att, await sign(att))).to.be.revertedWithCustomError(
            verifier,
            "VerifierInvalidClaims",
          );
        }
      }
      const longest = { ...base, cloud: "x".repeat(64), region: "é".repeat(32), instanceType: "y".repeat(64) };
      await expect(verifier.submitAttestation(longest, await sign(longest)))
        .to.emit(verifier, "ResourceVerified")
        .withArgs(...verifiedArgs(longest));
    });
  });

  describe("governance", function () {
    it("lets only the DAO set the maximum validity, within one year", async function () {
      const { verifier, deployer, outsider, oracle, resourceId, attestation, sign, admin } =
        await loadFixture(verifierFixture);
      const adminRole = await verifier.DEFAULT_ADMIN_ROLE();
      for (const caller of [deployer, outsider, oracle]) {
        await expect(verifier.connect(caller).setMaxValidity(DAY))
          .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, adminRole);
      }
      const timelock = admin;
      for (const invalid of [0, YEAR + 1]) {
        await expect(verifier.connect(timelock).setMaxValidity(invalid))
          .to.be.revertedWithCustomError(verifier, "VerifierInvalidMaxValidity")
          .withArgs(invalid);
      }
      await expect(verifier.connect(timelock).setMaxValidity(YEAR))
        .to.emit(verifier, "MaxValidityUpdated")
        .withArgs(YEAR);
      await expect(verifier.connect(timelock).setMaxValidity(DAY))
        .to.emit(verifier, "MaxValidityUpdated")
        .withArgs(DAY);
      expect(await verifier.maxValidity()).to.equal(BigInt(DAY));

      // The new maximum applies to the next attestation.
      const now = await time.latest();
      const week = await attestation({ issuedAt: now, expiresAt: now + 7 * DAY });
      await expect(verifier.submitAttestation(week, await sign(week)))
        .to.be.revertedWithCustomError(verifier, "VerifierInvalidValidity")
        .withArgs(now, now + 7 * DAY);
      const day = await attestation({ issuedAt: now, expiresAt: now + DAY });
      await verifier.submitAttestation(day, await sign(day));
      expect(await verifier.isVerified(resourceId)).to.equal(true);
    });

    it("lets only the DAO add verifiers, once each, never the zero address", async function () {
      const { verifier, outsider, deployer, oracle, spareVerifiers, admin, signRevocation } =
        await loadFixture(verifierFixture);
      const adminRole = await verifier.DEFAULT_ADMIN_ROLE();
      const [newcomer] = spareVerifiers;
      for (const caller of [outsider, deployer, oracle]) {
        await expect(verifier.connect(caller).addSigner(newcomer!.address))
          .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, adminRole);
      }
      const timelock = admin;
      await expect(verifier.connect(timelock).addSigner(newcomer!.address))
        .to.emit(verifier, "SignerAdded")
        .withArgs(newcomer!.address);
      expect(await verifier.isSigner(newcomer!)).to.equal(true);
      expect(await verifier.signerCount()).to.equal(2n);
      // A new verifier's signature counts (here for a resource with no verification).
      await expect(verifier.revokeVerification(1n, "none", await signRevocation(1n, "none", [newcomer!])))
        .to.be.revertedWithCustomError(verifier, "VerifierNotVerified")
        .withArgs(1n);

      for (const existing of [newcomer!, oracle]) {
        await expect(verifier.connect(timelock).addSigner(existing.address))
          .to.be.revertedWithCustomError(verifier, "QuorumSignerExists")
          .withArgs(existing.address);
      }
      await expect(verifier.connect(timelock).addSigner(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        verifier,
        "ManagedZeroAddress",
      );
      expect(await verifier.signerCount()).to.equal(2n);
    });

    it("lets only the DAO remove verifiers, keeping the quorum reachable", async function () {
      const { verifier, outsider, oracle, second, resourceId, attestation, verify, admin, revoke } =
        await loadFixture(twoOfTwoFixture);
      const adminRole = await verifier.DEFAULT_ADMIN_ROLE();
      await expect(verifier.connect(outsider).removeSigner(second.address))
        .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, adminRole);
      const timelock = admin;
      await expect(verifier.connect(timelock).removeSigner(second.address))
        .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
        .withArgs(2, 1);
      await expect(verifier.connect(timelock).removeSigner(outsider.address))
        .to.be.revertedWithCustomError(verifier, "QuorumSignerMissing")
        .withArgs(outsider.address);

      await verifier.connect(timelock).setQuorum(1);
      await expect(verifier.connect(timelock).removeSigner(second.address))
        .to.emit(verifier, "SignerRemoved")
        .withArgs(second.address);
      expect(await verifier.isSigner(second)).to.equal(false);
      expect(await verifier.signerCount()).to.equal(1n);
      await expect(verifier.connect(timelock).removeSigner(second.address))
        .to.be.revertedWithCustomError(verifier, "QuorumSignerMissing")
        .withArgs(second.address);
      // The last verifier cannot go: a quorum of 1 would be unreachable.
      await expect(verifier.connect(timelock).removeSigner(oracle.address))
        .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
        .withArgs(1, 0);

      // A removed verifier's signature no longer counts.
      await verify(await attestation());
      await expect(revoke(resourceId, "gone", second, [second]))
        .to.be.revertedWithCustomError(verifier, "QuorumUnknownSigner")
        .withArgs(second.address);
    });

    it("lets only the DAO set the quorum, between 1 and the number of verifiers", async function () {
      const { verifier, outsider, oracle, spareVerifiers, admin } = await loadFixture(verifierFixture);
      const adminRole = await verifier.DEFAULT_ADMIN_ROLE();
      await expect(verifier.connect(oracle).setQuorum(1))
        .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
        .withArgs(oracle.address, adminRole);
      const timelock = admin;
      await expect(verifier.connect(timelock).setQuorum(0))
        .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
        .withArgs(0, 1);
      await expect(verifier.connect(timelock).setQuorum(2))
        .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
        .withArgs(2, 1);
      for (const s of spareVerifiers) await verifier.connect(timelock).addSigner(s.address);
      await expect(verifier.connect(timelock).setQuorum(4)).to.emit(verifier, "QuorumUpdated").withArgs(4);
      expect(await verifier.quorum()).to.equal(4n);
      await expect(verifier.connect(timelock).setQuorum(5))
        .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
        .withArgs(5, 4);
      await expect(verifier.connect(outsider).setQuorum(3))
        .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, adminRole);
    });
  });

  describe("initialization", function () {
    it("refuses a zero admin, marketplace or verifier, duplicate verifiers and invalid limits", async function () {
      const { verifier, marketplace, deployer, oracle, spareVerifiers } = await loadFixture(verifierFixture);
      const market = await marketplace.getAddress();
      const admin = deployer.address;
      const signers = [oracle.address, spareVerifiers[0]!.address];
      const zero = ethers.ZeroAddress;
      for (const args of [
        [zero, market, signers, 1, DAY],
        [admin, zero, signers, 1, DAY],
        [admin, market, [oracle.address, zero], 1, DAY],
      ]) {
        await expect(deployUupsProxy("ResourceVerifier", args)).to.be.revertedWithCustomError(
          verifier,
          "ManagedZeroAddress",
        );
      }
      await expect(deployUupsProxy("ResourceVerifier", [admin, market, [oracle.address, oracle.address], 1, DAY]))
        .to.be.revertedWithCustomError(verifier, "QuorumSignerExists")
        .withArgs(oracle.address);
      for (const quorum of [0, 3]) {
        await expect(deployUupsProxy("ResourceVerifier", [admin, market, signers, quorum, DAY]))
          .to.be.revertedWithCustomError(verifier, "QuorumInvalid")
          .withArgs(quorum, 2);
      }
      for (const maxValidity of [0, YEAR + 1]) {
        await expect(deployUupsProxy("ResourceVerifier", [admin, market, signers, 2, maxValidity]))
          .to.be.revertedWithCustomError(verifier, "VerifierInvalidMaxValidity")
          .withArgs(maxValidity);
      }
    });

    it("initializes a fresh proxy once; its implementation never", async function () {
      const { verifier, marketplace, deployer, oracle, spareVerifiers } = await loadFixture(verifierFixture);
      const market = await marketplace.getAddress();
      const signers = [oracle.address, spareVerifiers[0]!.address];
      const args = [deployer.address, market, signers, 2, DAY] as const;
      const fresh = await deployUupsProxy<typeof verifier>("ResourceVerifier", [...args]);
      expect(await fresh.signerCount()).to.equal(2n);
      expect(await fresh.quorum()).to.equal(2n);
      expect(await fresh.maxValidity()).to.equal(BigInt(DAY));
      expect(await fresh.hasRole(await fresh.UPGRADER_ROLE(), deployer)).to.equal(true);
      const [, name, version] = await fresh.eip712Domain();
      expect([name, version]).to.deep.equal(["D-CloudX Verifier", "1"]);

      await expect(fresh.initialize(...args)).to.be.revertedWithCustomError(fresh, "InvalidInitialization");
      const implementation = verifier.attach(
        await upgradesApi.erc1967.getImplementationAddress(await fresh.getAddress()),
      ) as typeof verifier;
      await expect(implementation.initialize(...args)).to.be.revertedWithCustomError(fresh, "InvalidInitialization");
      await expect(verifier.initialize(...args)).to.be.revertedWithCustomError(verifier, "InvalidInitialization");
    });
  });

  describe("ResourceMarketplace.setResourceVerifier", function () {
    it("lets only the DAO replace or remove the verifier the marketplace asks", async function () {
      const { verifier, marketplace, deployer, outsider, resourceId, attestation, verify, admin } =
        await loadFixture(verifierFixture);
      await verify(await attestation());
      const adminRole = await marketplace.DEFAULT_ADMIN_ROLE();
      for (const caller of [deployer, outsider]) {
        await expect(marketplace.connect(caller).setResourceVerifier(ethers.ZeroAddress))
          .to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, adminRole);
      }
      const timelock = admin;

      await expect(marketplace.connect(timelock).setResourceVerifier(ethers.ZeroAddress))
        .to.emit(marketplace, "ResourceVerifierUpdated")
        .withArgs(ethers.ZeroAddress);
      expect(await marketplace.resourceVerifier()).to.equal(ethers.ZeroAddress);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);
      expect(await verifier.isVerified(resourceId)).to.equal(true);

      // A new verifier starts with no verifications.
      const fresh = await deployUupsProxy<typeof verifier>("ResourceVerifier", [
        timelock.address,
        await marketplace.getAddress(),
        [deployer.address],
        1,
        DAY,
      ]);
      await expect(marketplace.connect(timelock).setResourceVerifier(fresh))
        .to.emit(marketplace, "ResourceVerifierUpdated")
        .withArgs(await fresh.getAddress());
      expect(await marketplace.resourceVerifier()).to.equal(await fresh.getAddress());
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(false);

      await marketplace.connect(timelock).setResourceVerifier(verifier);
      expect(await marketplace.isResourceVerified(resourceId)).to.equal(true);
    });
  });
});
