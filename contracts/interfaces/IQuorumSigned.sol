// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IQuorumSigned
/// @notice A set of registered oracle signers, governed by the DAO, of which `quorum` distinct
/// members must sign a statement (EIP-712, over this contract's domain) before a contract acts on
/// it. Other contracts use the set through `verifyStatement`: the marketplace accepts provisioning
/// confirmations and consumer-fault statements signed by the SLA oracles this way, so one signer set
/// and one verification serve every oracle statement.
interface IQuorumSigned {
    /// @notice Emitted when a signer is registered.
    event SignerAdded(address indexed signer);
    /// @notice Emitted when a signer is removed.
    event SignerRemoved(address indexed signer);
    /// @notice Emitted when the number of signatures a statement needs changes.
    event QuorumUpdated(uint16 quorum);

    /// @notice A signature from an address that is not a registered signer.
    error QuorumUnknownSigner(address signer);
    /// @notice The same signer signed twice.
    error QuorumDuplicateSigner(address signer);
    /// @notice Signatures must be ordered by ascending signer address.
    error QuorumSignersUnordered(address signer);
    /// @notice Fewer valid signatures than the quorum.
    /// @param digest The EIP-712 digest that was signed.
    error QuorumNotReached(bytes32 digest, uint256 signatures, uint256 quorum);
    /// @notice The signer is already registered.
    error QuorumSignerExists(address signer);
    /// @notice The signer is not registered.
    error QuorumSignerMissing(address signer);
    /// @notice A quorum of zero or above the number of signers.
    error QuorumInvalid(uint256 quorum, uint256 signers);

    /// @notice Registers a signer. DAO only.
    function addSigner(address signer) external;

    /// @notice Removes a signer; the quorum must stay reachable. DAO only.
    function removeSigner(address signer) external;

    /// @notice Sets how many distinct signers a statement needs. DAO only.
    function setQuorum(uint16 quorum) external;

    /// @notice Reverts unless a quorum of registered signers signed the EIP-712 message with
    /// `structHash` over this contract's domain.
    /// @param structHash EIP-712 hash of the statement (its type hash and fields).
    /// @param signatures Ordered by ascending signer address.
    /// @return digest The EIP-712 digest that was signed.
    function verifyStatement(bytes32 structHash, bytes[] calldata signatures) external view returns (bytes32 digest);

    /// @notice Whether `signer` is registered.
    function isSigner(address signer) external view returns (bool);

    /// @notice Number of registered signers.
    function signerCount() external view returns (uint256);

    /// @notice Signatures a statement needs.
    function quorum() external view returns (uint16);
}
