// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IDCXToken} from "../../interfaces/IDCXToken.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../../interfaces/IReputationSystem.sol";
import {IRewardDistributor} from "../../interfaces/IRewardDistributor.sol";

/// @title RewardDistributorV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: RewardDistributor's
/// namespace with `epochSeconds` widened from uint32 to uint64, which would push it out of the slot
/// it shares with the token and move every field after it.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/token/RewardDistributor.sol:RewardDistributor
contract RewardDistributorV2BadLayout is ManagedUpgradeable {
    struct Account {
        uint64 epoch;
        uint128 points;
        uint256 accrued;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.Rewards
    struct RewardsStorage {
        IDCXToken token;
        uint64 startTime;
        uint64 epochSeconds;
        IReputationSystem reputation;
        IPriceOracle priceOracle;
        uint256 ratePerSecond;
        uint256 totalEmitted;
        uint256 totalClaimed;
        mapping(uint256 epoch => IRewardDistributor.Epoch) epochs;
        mapping(address provider => Account) accounts;
    }
}
