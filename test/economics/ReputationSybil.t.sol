// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

import {ReputationSystem} from "../../contracts/core/ReputationSystem.sol";
import {CoreDeployment} from "../invariant/CoreDeployment.sol";

/// @title Reputation cannot be bought for less than the volume it outranks
/// @notice The reputation system behind a real proxy, fed as the marketplace and SLA enforcement
/// feed it (periods and ratings worth at least the minimum value; SLA enforcement drops smaller
/// periods and the marketplace refuses smaller ratings). An honest provider has served `honest`
/// dollars with a spotless record; a sybil fakes a spotless record of its own from second
/// addresses — compliant periods and five-star ratings in any mix, in any number of pieces — worth
/// less in total. It never scores above the honest provider.
contract ReputationSybilTest is CoreDeployment {
    uint256 private constant MIN_VALUE = 1e6; // one cent, the default

    address private honestProvider = makeAddr("honest");
    address private sybil = makeAddr("sybil");

    function setUp() public {
        vm.warp(START_TIME);
        vm.startPrank(admin);
        reputation = ReputationSystem(
            address(
                new ERC1967Proxy(
                    _deployArtifact("contracts/core/ReputationSystem.sol:ReputationSystem", ""),
                    abi.encodeCall(ReputationSystem.initialize, (admin))
                )
            )
        );
        reputation.grantRole(reputation.RECORDER_ROLE(), address(this));
        vm.stopPrank();
    }

    function testFuzz_aSybilSpendingLessCannotOutrank(
        uint256 honestUsdE8,
        uint256 sybilShareBps,
        uint256 honestSeed,
        uint256 sybilSeed
    ) public {
        honestUsdE8 = _bound(honestUsdE8, MIN_VALUE, 1e7 * 1e8);
        uint256 sybilUsdE8 = (honestUsdE8 * _bound(sybilShareBps, 0, 9_999)) / 10_000;
        _spotlessRecord(honestProvider, honestUsdE8, honestSeed, 1);
        _spotlessRecord(sybil, sybilUsdE8, sybilSeed, 2);
        assertLe(reputation.scoreOf(sybil), reputation.scoreOf(honestProvider), "a smaller sybil outranked");
    }

    /// @dev The measured exploit: a fresh provider rated five stars on 40 dust bookings scored
    /// 9,694 bps against an honest provider's 9,272. Dust can no longer be rated, and the sybil needs
    /// at least the honest provider's volume to draw level.
    function test_dustRatingsNoLongerOutrankAnHonestProvider() public {
        _spotlessRecord(honestProvider, 50e8, 7, 1);
        for (uint256 i = 0; i < 40; ++i) {
            vm.expectRevert();
            reputation.recordRating(sybil, 1_000 + i, makeAddr("sock"), 5, 200);
        }
        assertEq(reputation.scoreOf(sybil), 0);
        _spotlessRecord(sybil, 49e8, 7, 2);
        assertLe(reputation.scoreOf(sybil), reputation.scoreOf(honestProvider));
    }

    /// @dev Spreads `usdE8` over up to 32 outcomes, each a compliant period or a five-star rating
    /// worth at least the minimum value.
    function _spotlessRecord(address provider, uint256 usdE8, uint256 seed, uint256 bookingBase) private {
        uint256 pieces = usdE8 / MIN_VALUE;
        if (pieces == 0) return;
        if (pieces > 32) pieces = 32;
        pieces = _bound(seed, 1, pieces);
        uint256 left = usdE8;
        for (uint256 i = 0; i < pieces; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            uint256 piece = i == pieces - 1 ? left : _bound(s, MIN_VALUE, left - (pieces - 1 - i) * MIN_VALUE);
            left -= piece;
            if (s % 2 == 0) {
                reputation.recordPeriods(provider, 1, 0, 0, piece, 0);
            } else {
                reputation.recordRating(provider, bookingBase * 1e9 + i, makeAddr("consumer"), 5, piece);
            }
        }
    }
}
