// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";

import {ReputationSystem} from "../../contracts/core/ReputationSystem.sol";
import {IDCXToken} from "../../contracts/interfaces/IDCXToken.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../../contracts/interfaces/IReputationSystem.sol";
import {PriceOracle} from "../../contracts/oracles/PriceOracle.sol";
import {DCXToken} from "../../contracts/token/DCXToken.sol";
import {RewardDistributor} from "../../contracts/token/RewardDistributor.sol";
import {CoreDeployment} from "./CoreDeployment.sol";

/// @notice DCX and the reward distributor behind real ERC-1967 proxies, with a real reputation
/// system and a real price oracle pricing DCX through a feed the test moves by hand.
abstract contract RewardDeployment is CoreDeployment {
    DCXToken internal dcx;
    RewardDistributor internal rewards;
    MockV3Aggregator internal dcxFeed;

    /// @dev The distributor is DCX's only minter; the admin holds every other role.
    function _deployRewards(
        uint256 cap,
        IDCXToken.Allocation[] memory allocations,
        int256 dcxPriceE8,
        uint32 epochSeconds,
        uint256 emissionRate,
        uint16 rewardPerFeeBps
    ) internal {
        vm.warp(START_TIME);
        vm.startPrank(admin);
        reputation = ReputationSystem(
            _proxy(
                "contracts/core/ReputationSystem.sol:ReputationSystem",
                abi.encodeCall(ReputationSystem.initialize, (admin))
            )
        );
        dcx = DCXToken(
            _proxy(
                "contracts/token/DCXToken.sol:DCXToken",
                abi.encodeCall(DCXToken.initialize, (admin, cap, allocations))
            )
        );
        priceOracle = PriceOracle(
            _proxy("contracts/oracles/PriceOracle.sol:PriceOracle", abi.encodeCall(PriceOracle.initialize, (admin)))
        );
        dcxFeed = new MockV3Aggregator(8, dcxPriceE8);
        priceOracle.setPaymentToken(address(dcx), address(dcxFeed), 365 days);
        rewards = RewardDistributor(
            _proxy(
                "contracts/token/RewardDistributor.sol:RewardDistributor",
                abi.encodeCall(
                    RewardDistributor.initialize,
                    (
                        admin,
                        IDCXToken(address(dcx)),
                        IReputationSystem(address(reputation)),
                        IPriceOracle(address(priceOracle)),
                        epochSeconds,
                        emissionRate,
                        rewardPerFeeBps
                    )
                )
            )
        );
        dcx.grantRole(dcx.MINTER_ROLE(), address(rewards));
        vm.stopPrank();
    }
}
