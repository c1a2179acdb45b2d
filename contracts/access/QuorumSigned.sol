// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IQuorumSigned} from "../interfaces/IQuorumSigned.sol";
import {ManagedUpgradeable} from "./ManagedUpgradeable.sol";

/// @title QuorumSigned
/// @notice Base of contracts that act on statements signed by k of n registered oracles. Statements
/// are EIP-712 messages over the inheriting contract's domain (initialized by it).
abstract contract QuorumSigned is IQuorumSigned, ManagedUpgradeable, EIP712Upgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.QuorumSigned
    struct QuorumSignedStorage {
        uint16 quorum;
        uint16 signerCount;
        mapping(address signer => bool) signers;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.QuorumSigned")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant QUORUM_STORAGE_LOCATION =
        0x0926d00dc555874413718c6b7964882b7267b5206e458b0c3afd6b4df3b1d900;

    function _getQuorumSignedStorage() private pure returns (QuorumSignedStorage storage $) {
        assembly {
            $.slot := QUORUM_STORAGE_LOCATION
        }
    }

    function __QuorumSigned_init(address[] calldata signers, uint16 initialQuorum) internal onlyInitializing {
        QuorumSignedStorage storage $ = _getQuorumSignedStorage();
        for (uint256 i = 0; i < signers.length; ++i) {
            _addSigner($, signers[i]);
        }
        _setQuorum($, initialQuorum);
    }

    /// @inheritdoc IQuorumSigned
    function addSigner(address signer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _addSigner(_getQuorumSignedStorage(), signer);
    }

    /// @inheritdoc IQuorumSigned
    function removeSigner(address signer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        QuorumSignedStorage storage $ = _getQuorumSignedStorage();
        if (!$.signers[signer]) revert QuorumSignerMissing(signer);
        if ($.quorum > $.signerCount - 1) revert QuorumInvalid($.quorum, $.signerCount - 1);
        $.signers[signer] = false;
        --$.signerCount;
        emit SignerRemoved(signer);
    }

    /// @inheritdoc IQuorumSigned
    function setQuorum(uint16 newQuorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setQuorum(_getQuorumSignedStorage(), newQuorum);
    }

    /// @inheritdoc IQuorumSigned
    function verifyStatement(bytes32 structHash, bytes[] calldata signatures) external view returns (bytes32 digest) {
        digest = _hashTypedDataV4(structHash);
        _verifyQuorum(digest, signatures);
    }

    /// @inheritdoc IQuorumSigned
    function isSigner(address signer) public view returns (bool) {
        return _getQuorumSignedStorage().signers[signer];
    }

    /// @inheritdoc IQuorumSigned
    function signerCount() external view returns (uint256) {
        return _getQuorumSignedStorage().signerCount;
    }

    /// @inheritdoc IQuorumSigned
    function quorum() external view returns (uint16) {
        return _getQuorumSignedStorage().quorum;
    }

    /// @dev Reverts unless a quorum of distinct registered signers signed `digest`; signatures must
    /// be ordered by signer address, which makes duplicates cheap to reject.
    function _verifyQuorum(bytes32 digest, bytes[] calldata sigs) internal view {
        QuorumSignedStorage storage $ = _getQuorumSignedStorage();
        address previous;
        for (uint256 i = 0; i < sigs.length; ++i) {
            address signer = ECDSA.recover(digest, sigs[i]);
            if (!$.signers[signer]) revert QuorumUnknownSigner(signer);
            if (signer == previous) revert QuorumDuplicateSigner(signer);
            if (signer < previous) revert QuorumSignersUnordered(signer);
            previous = signer;
        }
        if (sigs.length < $.quorum) revert QuorumNotReached(digest, sigs.length, $.quorum);
    }

    function _addSigner(QuorumSignedStorage storage $, address signer) private {
        if (signer == address(0)) revert ManagedZeroAddress();
        if ($.signers[signer]) revert QuorumSignerExists(signer);
        $.signers[signer] = true;
        ++$.signerCount;
        emit SignerAdded(signer);
    }

    function _setQuorum(QuorumSignedStorage storage $, uint16 newQuorum) private {
        if (newQuorum == 0 || newQuorum > $.signerCount) revert QuorumInvalid(newQuorum, $.signerCount);
        $.quorum = newQuorum;
        emit QuorumUpdated(newQuorum);
    }
}
