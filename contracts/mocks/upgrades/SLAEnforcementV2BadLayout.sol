// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../../interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../../interfaces/ISLAEnforcement.sol";

/// @title SLAEnforcementV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: SLAEnforcement's namespace
/// with a field inserted before the existing ones, which would shift the credit policy.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/SLAEnforcement.sol:SLAEnforcement
contract SLAEnforcementV2BadLayout is ManagedUpgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.SLAEnforcement
    struct SLAStorage {
        uint256 reportCount;
        IResourceMarketplace marketplace;
        uint16 baseCreditBps;
        IEscrowManager escrow;
        IReputationSystem reputation;
        ISLAEnforcement.CreditTier[] tiers;
        address rewards;
        address priceOracle;
    }
}
