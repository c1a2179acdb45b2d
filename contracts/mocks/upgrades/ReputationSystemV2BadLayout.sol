// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IReputationSystem} from "../../interfaces/IReputationSystem.sol";

/// @title ReputationSystemV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: ReputationSystem's namespace
/// with a field inserted before the existing ones, which would shift every record.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/ReputationSystem.sol:ReputationSystem
contract ReputationSystemV2BadLayout is ManagedUpgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.Reputation
    struct ReputationStorage {
        uint256 providerCount;
        mapping(address provider => IReputationSystem.Record) records;
        mapping(uint256 bookingId => bool) rated;
    }
}
