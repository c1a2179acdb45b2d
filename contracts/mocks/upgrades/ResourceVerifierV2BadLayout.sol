// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {QuorumSigned} from "../../access/QuorumSigned.sol";
import {IResourceMarketplace} from "../../interfaces/IResourceMarketplace.sol";
import {IResourceVerifier} from "../../interfaces/IResourceVerifier.sol";

/// @title ResourceVerifierV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: ResourceVerifier's
/// namespace with a field inserted before the existing ones, which would shift the marketplace
/// address and every verification.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/ResourceVerifier.sol:ResourceVerifier
contract ResourceVerifierV2BadLayout is QuorumSigned {
    /// @custom:storage-location erc7201:dcloudx.storage.Verifier
    struct VerifierStorage {
        uint256 attestationCount;
        IResourceMarketplace marketplace;
        uint64 maxValiditySeconds;
        mapping(uint256 resourceId => IResourceVerifier.Verification) verifications;
    }
}
