// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IQuorumSigned} from "./IQuorumSigned.sol";

/// @title IResourceVerifier
/// @notice Attestations, signed (EIP-712) by a quorum of registered verifier oracles, that a listed
/// resource exists as its metadata describes: the instance type exists in that region of that cloud
/// and the provider controls the cloud account. A verification covers one metadata version, expires,
/// and can be revoked by the same quorum (or the DAO); the dApp shows it as the "verified" badge.
interface IResourceVerifier is IQuorumSigned {
    /// @notice What verifiers sign.
    /// @param metadataVersion The resource's metadata version that was checked.
    /// @param accountHash keccak256 of the cloud account identifier the provider proved control of.
    /// @param issuedAt When the check was made; must be newer than the resource's last attestation.
    struct Attestation {
        uint256 resourceId;
        uint32 metadataVersion;
        string cloud;
        string region;
        string instanceType;
        bytes32 accountHash;
        uint64 issuedAt;
        uint64 expiresAt;
    }

    /// @notice A resource's latest verification, as stored (one slot).
    struct Verification {
        uint32 metadataVersion;
        uint64 issuedAt;
        uint64 expiresAt;
        bool revoked;
    }

    /// @notice Emitted when an attestation is accepted.
    event ResourceVerified(
        uint256 indexed resourceId,
        uint32 metadataVersion,
        string cloud,
        string region,
        string instanceType,
        bytes32 accountHash,
        uint64 issuedAt,
        uint64 expiresAt
    );
    /// @notice Emitted when a verification is revoked.
    /// @param by The DAO, or whoever submitted the verifiers' quorum-signed revocation.
    event VerificationRevoked(uint256 indexed resourceId, address indexed by, string reason);
    /// @notice Emitted when the longest accepted validity changes.
    event MaxValidityUpdated(uint64 maxValiditySeconds);

    /// @notice The resource does not exist.
    error VerifierUnknownResource(uint256 resourceId);
    /// @notice The attestation is for another metadata version than the resource's current one.
    error VerifierStaleMetadata(uint256 resourceId, uint32 attested, uint32 current);
    /// @notice Issued in the future, already expired, or valid for longer than the maximum.
    error VerifierInvalidValidity(uint64 issuedAt, uint64 expiresAt);
    /// @notice Not newer than the resource's last attestation (a replay, or undoing a revocation).
    error VerifierNotNewer(uint256 resourceId, uint64 issuedAt, uint64 lastIssuedAt);
    /// @notice A revocation without signatures is the DAO's alone.
    error VerifierUnauthorized(address caller);
    /// @notice The resource has no unrevoked verification to revoke.
    error VerifierNotVerified(uint256 resourceId);
    /// @notice A maximum validity of zero or above one year.
    error VerifierInvalidMaxValidity(uint64 maxValiditySeconds);
    /// @notice A cloud, region or instance type that is empty or too long.
    error VerifierInvalidClaims();

    /// @notice Records an attestation signed by a quorum of verifiers. Anyone may submit it.
    /// @param signatures Ordered by ascending signer address.
    function submitAttestation(Attestation calldata attestation, bytes[] calldata signatures) external;

    /// @notice Revokes a resource's latest verification, even one that has since expired or been
    /// outdated by new metadata. The DAO may revoke without signatures; anyone else submits a
    /// revocation signed by a quorum of verifiers, as an attestation needs.
    /// @param signatures EIP-712 signatures of `Revocation(resourceId, issuedAt, reason)`, where
    /// `issuedAt` is the revoked verification's, ordered by ascending signer address; empty for the DAO.
    function revokeVerification(uint256 resourceId, string calldata reason, bytes[] calldata signatures) external;

    /// @notice Sets the longest validity an attestation may have. DAO only.
    function setMaxValidity(uint64 maxValiditySeconds) external;

    /// @notice Whether the resource has not been delisted and has an unexpired, unrevoked
    /// verification of its current metadata. Pausing a resource keeps its verification.
    function isVerified(uint256 resourceId) external view returns (bool);

    /// @notice A resource's latest verification.
    function verificationOf(uint256 resourceId) external view returns (Verification memory);

    /// @notice EIP-712 digest verifiers sign to revoke the verification issued at `issuedAt`.
    function revocationDigest(
        uint256 resourceId,
        uint64 issuedAt,
        string calldata reason
    ) external view returns (bytes32);

    /// @notice EIP-712 digest verifiers sign for `attestation`.
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32);

    /// @notice The longest validity an attestation may have.
    function maxValidity() external view returns (uint64);
}
