// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDCXToken} from "../../contracts/interfaces/IDCXToken.sol";
import {PriceMath} from "../../contracts/libraries/PriceMath.sol";
import {RewardDeployment} from "../invariant/RewardDeployment.sol";

/// @title Wash trading never pays
/// @notice A provider books its own resource from a second address: the booking's value comes back
/// to it, less the protocol fee, and its SLA-compliant periods earn DCX rewards. The reward
/// distributor (behind a real proxy, pricing DCX through a real PriceOracle) is fed here as SLA
/// enforcement feeds it: service worth `usd` on which the protocol took `fee`. Whatever the wash
/// volume, the honest volume beside it, the fee rate, the DAO's emission rate and reward-per-fee
/// ratio, the farmer's reputation and the DCX price, the rewards it can claim are worth at most
/// the fee it burned.
contract WashTradingTest is RewardDeployment {
    uint256 private constant BPS = 10_000;
    uint32 private constant EPOCH_SECONDS = 1 days;
    uint256 private constant CAP = 1_000_000_000e18;

    address private farmer = makeAddr("farmer");
    address private honest = makeAddr("honest");

    function setUp() public {
        IDCXToken.Allocation[] memory allocations = new IDCXToken.Allocation[](1);
        allocations[0] = IDCXToken.Allocation({to: treasury, amount: 100_000_000e18});
        _deployRewards(CAP, allocations, 0.5e8, EPOCH_SECONDS, 1e18, 5_000);
        vm.startPrank(admin);
        rewards.grantRole(rewards.RECORDER_ROLE(), address(this));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(this));
        vm.stopPrank();
    }

    /// @dev The property, over every knob at once.
    function testFuzz_washTradingNeverProfits(
        uint256 washUsdE8,
        uint256 honestUsdE8,
        uint256 feeBps,
        uint256 rewardPerFeeBps,
        uint256 ratePerSecond,
        uint256 dcxPriceE8,
        uint256 farmerPeriods
    ) public {
        washUsdE8 = _bound(washUsdE8, 1, 1e9 * 1e8);
        honestUsdE8 = _bound(honestUsdE8, 0, 1e9 * 1e8);
        feeBps = _bound(feeBps, 0, 2_000);
        rewardPerFeeBps = _bound(rewardPerFeeBps, 0, BPS);
        ratePerSecond = _bound(ratePerSecond, 0, 1e24);
        dcxPriceE8 = _bound(dcxPriceE8, 1e4, 1_000e8);
        _configure(rewardPerFeeBps, ratePerSecond, dcxPriceE8);
        // A farmer may have built a perfect reputation first, which weighs its points double.
        uint32 periods = uint32(_bound(farmerPeriods, 0, 100_000));
        reputation.recordPeriods(farmer, periods, 0, 0, uint256(periods) * 1e8, 0);

        uint256 feeUsdE8 = _record(farmer, washUsdE8, feeBps);
        _record(honest, honestUsdE8, feeBps);
        uint256 rewardUsdE8 = _claimedUsd(farmer, dcxPriceE8);

        assertLe(rewardUsdE8, feeUsdE8, "wash trading earned more than the fee it burned");
    }

    /// @dev Several wash bookings in one epoch and across epochs add up to no more than their fees either.
    function testFuzz_repeatedWashTradingNeverProfits(uint256 seed, uint8 bookings) public {
        _configure(BPS, 1e24, 0.01e8);
        uint256 feesUsdE8 = 0;
        uint256 rewardUsdE8 = 0;
        for (uint256 i = 0; i < _bound(bookings, 1, 20); ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            feesUsdE8 += _record(farmer, _bound(s, 1, 1e6 * 1e8), _bound(s >> 64, 0, 2_000));
            if ((s >> 128) % 3 == 0) {
                vm.warp(block.timestamp + EPOCH_SECONDS);
                rewardUsdE8 += _claimedUsd(farmer, 0.01e8);
            }
        }
        rewardUsdE8 += _claimedUsd(farmer, 0.01e8);
        assertLe(rewardUsdE8, feesUsdE8, "repeated wash trading earned more than its fees");
    }

    /// @dev The exploit that was measured: alone in an epoch, a $0.000002 booking took the whole
    /// emission, 8,727 times the fee it paid. Now the epoch's emission is fixed but the booking gets
    /// at most half its fee's worth; the rest is forfeited, never minted.
    function test_aBookingAloneInAnEpochEarnsAtMostItsFee() public {
        _configure(5_000, 1e18, 0.5e8);
        uint256 feeUsdE8 = _record(farmer, 1_000e8, 250);
        uint256 rewardUsdE8 = _claimedUsd(farmer, 0.5e8);
        assertEq(rewardUsdE8, feeUsdE8 / 2, "reward other than half the fee");
        assertEq(rewards.totalForfeited(), rewards.epochOf(0).emission - rewards.totalClaimed(), "forfeited");
    }

    function _configure(uint256 rewardPerFeeBps, uint256 ratePerSecond, uint256 dcxPriceE8) private {
        vm.startPrank(admin);
        rewards.setRewardPerFee(uint16(rewardPerFeeBps));
        rewards.setEmissionRate(ratePerSecond);
        vm.stopPrank();
        dcxFeed.updateAnswer(int256(dcxPriceE8));
    }

    /// @dev Records service worth `usdE8` as SLA enforcement does; returns the fee the protocol took.
    function _record(address provider, uint256 usdE8, uint256 feeBps) private returns (uint256 feeUsdE8) {
        feeUsdE8 = (usdE8 * feeBps) / BPS;
        rewards.recordService(provider, usdE8, feeUsdE8);
    }

    /// @dev Claims the provider's rewards once its epoch is over; their USD value at `dcxPriceE8`.
    function _claimedUsd(address provider, uint256 dcxPriceE8) private returns (uint256) {
        vm.warp(block.timestamp + EPOCH_SECONDS);
        if (rewards.claimable(provider) == 0) return 0;
        vm.prank(provider);
        uint256 amount = rewards.claim();
        return PriceMath.tokenToUsd(amount, dcxPriceE8, 8, 18);
    }
}
