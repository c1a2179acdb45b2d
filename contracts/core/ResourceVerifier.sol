// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {QuorumSigned} from "../access/QuorumSigned.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {IResourceVerifier} from "../interfaces/IResourceVerifier.sol";

/// @title ResourceVerifier
/// @notice Quorum-signed attestations that listed resources exist as described.
/// @dev EIP-712 domain: name "D-CloudX Verifier", version "1".
contract ResourceVerifier is IResourceVerifier, QuorumSigned {
    /// @notice EIP-712 type hash of Attestation.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 resourceId,uint32 metadataVersion,string cloud,string region,string instanceType,bytes32 accountHash,uint64 issuedAt,uint64 expiresAt)"
    );
    /// @notice EIP-712 type hash of a revocation.
    bytes32 public constant REVOCATION_TYPEHASH = keccak256(
        "Revocation(uint256 resourceId,uint64 issuedAt,string reason)"
    );
    uint256 private constant MAX_CLAIM_LENGTH = 64;
    uint64 private constant MAX_VALIDITY_LIMIT_SECONDS = 365 days;

    /// @custom:storage-location erc7201:dcloudx.storage.Verifier
    struct VerifierStorage {
        IResourceMarketplace marketplace;
        uint64 maxValiditySeconds;
        mapping(uint256 resourceId => Verification) verifications;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.Verifier")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x90f17e22b596efafc25f8b29858306cf907bd83241dcc498ff6bc9c0417cc500;

    function _getVerifierStorage() private pure returns (VerifierStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    /// @param verifiers Initial verifier oracles.
    /// @param initialQuorum Signatures an attestation needs.
    function initialize(
        address admin,
        IResourceMarketplace marketplace,
        address[] calldata verifiers,
        uint16 initialQuorum,
        uint64 maxValiditySeconds
    ) external initializer {
        __Managed_init(admin);
        __EIP712_init("D-CloudX Verifier", "1");
        __QuorumSigned_init(verifiers, initialQuorum);
        if (address(marketplace) == address(0)) revert ManagedZeroAddress();
        VerifierStorage storage $ = _getVerifierStorage();
        $.marketplace = marketplace;
        _setMaxValidity($, maxValiditySeconds);
    }

    /// @inheritdoc IResourceVerifier
    function submitAttestation(Attestation calldata attestation, bytes[] calldata signatures) external {
        _checkClaims(attestation);
        VerifierStorage storage $ = _getVerifierStorage();
        uint256 resourceId = attestation.resourceId;
        IResourceMarketplace.Resource memory resource = $.marketplace.getResource(resourceId);
        if (resource.status == IResourceMarketplace.ResourceStatus.None) revert VerifierUnknownResource(resourceId);
        if (attestation.metadataVersion != resource.metadataVersion) {
            revert VerifierStaleMetadata(resourceId, attestation.metadataVersion, resource.metadataVersion);
        }
        if (
            attestation.issuedAt > block.timestamp ||
            attestation.expiresAt <= block.timestamp ||
            attestation.expiresAt - attestation.issuedAt > $.maxValiditySeconds
        ) revert VerifierInvalidValidity(attestation.issuedAt, attestation.expiresAt);
        Verification storage current = $.verifications[resourceId];
        if (attestation.issuedAt <= current.issuedAt) {
            revert VerifierNotNewer(resourceId, attestation.issuedAt, current.issuedAt);
        }
        _verifyQuorum(attestationDigest(attestation), signatures);

        $.verifications[resourceId] = Verification({
            metadataVersion: attestation.metadataVersion,
            issuedAt: attestation.issuedAt,
            expiresAt: attestation.expiresAt,
            revoked: false
        });
        _emitVerified(attestation);
    }

    /// @inheritdoc IResourceVerifier
    function revokeVerification(uint256 resourceId, string calldata reason, bytes[] calldata signatures) external {
        Verification storage verification = _getVerifierStorage().verifications[resourceId];
        if (verification.issuedAt == 0 || verification.revoked) revert VerifierNotVerified(resourceId);
        if (signatures.length == 0) {
            if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) revert VerifierUnauthorized(msg.sender);
        } else {
            _verifyQuorum(revocationDigest(resourceId, verification.issuedAt, reason), signatures);
        }
        verification.revoked = true;
        emit VerificationRevoked(resourceId, msg.sender, reason);
    }

    /// @inheritdoc IResourceVerifier
    function setMaxValidity(uint64 maxValiditySeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxValidity(_getVerifierStorage(), maxValiditySeconds);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IResourceVerifier
    function isVerified(uint256 resourceId) external view returns (bool) {
        VerifierStorage storage $ = _getVerifierStorage();
        Verification memory verification = $.verifications[resourceId];
        if (verification.issuedAt == 0 || verification.revoked || verification.expiresAt <= block.timestamp) {
            return false;
        }
        IResourceMarketplace.Resource memory resource = $.marketplace.getResource(resourceId);
        return
            resource.status != IResourceMarketplace.ResourceStatus.Delisted &&
            resource.metadataVersion == verification.metadataVersion;
    }

    /// @inheritdoc IResourceVerifier
    function verificationOf(uint256 resourceId) external view returns (Verification memory) {
        return _getVerifierStorage().verifications[resourceId];
    }

    /// @inheritdoc IResourceVerifier
    function revocationDigest(
        uint256 resourceId,
        uint64 issuedAt,
        string calldata reason
    ) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(REVOCATION_TYPEHASH, resourceId, issuedAt, keccak256(bytes(reason))))
            );
    }

    /// @inheritdoc IResourceVerifier
    function attestationDigest(Attestation calldata attestation) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        ATTESTATION_TYPEHASH,
                        attestation.resourceId,
                        attestation.metadataVersion,
                        keccak256(bytes(attestation.cloud)),
                        keccak256(bytes(attestation.region)),
                        keccak256(bytes(attestation.instanceType)),
                        attestation.accountHash,
                        attestation.issuedAt,
                        attestation.expiresAt
                    )
                )
            );
    }

    /// @inheritdoc IResourceVerifier
    function maxValidity() external view returns (uint64) {
        return _getVerifierStorage().maxValiditySeconds;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _emitVerified(Attestation calldata attestation) private {
        emit ResourceVerified(
            attestation.resourceId,
            attestation.metadataVersion,
            attestation.cloud,
            attestation.region,
            attestation.instanceType,
            attestation.accountHash,
            attestation.issuedAt,
            attestation.expiresAt
        );
    }

    function _checkClaims(Attestation calldata attestation) private pure {
        if (
            !_validClaim(attestation.cloud) ||
            !_validClaim(attestation.region) ||
            !_validClaim(attestation.instanceType)
        ) revert VerifierInvalidClaims();
    }

    function _validClaim(string calldata claim) private pure returns (bool) {
        return bytes(claim).length != 0 && bytes(claim).length <= MAX_CLAIM_LENGTH;
    }

    function _setMaxValidity(VerifierStorage storage $, uint64 maxValiditySeconds) private {
        if (maxValiditySeconds == 0 || maxValiditySeconds > MAX_VALIDITY_LIMIT_SECONDS) {
            revert VerifierInvalidMaxValidity(maxValiditySeconds);
        }
        $.maxValiditySeconds = maxValiditySeconds;
        emit MaxValidityUpdated(maxValiditySeconds);
    }
}
