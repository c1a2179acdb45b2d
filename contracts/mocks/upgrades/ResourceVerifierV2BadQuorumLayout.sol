// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IResourceMarketplace} from "../../interfaces/IResourceMarketplace.sol";
import {IResourceVerifier} from "../../interfaces/IResourceVerifier.sol";

/// @title ResourceVerifierV2BadQuorumLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: ResourceVerifier with its
/// own namespace intact but the shared QuorumSigned namespace changed (the signer flags turned into
/// counters), which shows that the checks cover the namespace of the base contract too.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/ResourceVerifier.sol:ResourceVerifier
contract ResourceVerifierV2BadQuorumLayout is ManagedUpgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.QuorumSigned
    struct QuorumSignedStorage {
        uint16 quorum;
        uint16 signerCount;
        mapping(address signer => uint256) signers;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.Verifier
    struct VerifierStorage {
        IResourceMarketplace marketplace;
        uint64 maxValiditySeconds;
        mapping(uint256 resourceId => IResourceVerifier.Verification) verifications;
    }
}
