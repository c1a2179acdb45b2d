// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RewardDistributor} from "../../token/RewardDistributor.sol";

/// @title RewardDistributorV2
/// @notice Test-only upgrade target: RewardDistributor plus a version getter, used to show that an upgrade
/// keeps the proxy's state and exposes the new code.
/// @dev The proxy is already initialized and V2 adds no state, so it has no initializer of its own.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/token/RewardDistributor.sol:RewardDistributor
contract RewardDistributorV2 is RewardDistributor {
    /// @notice Version of the implementation.
    function version() external pure returns (uint256) {
        return 2;
    }
}
