// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {stdError} from "forge-std/StdError.sol";

import {WilsonScore} from "../../contracts/libraries/WilsonScore.sol";

/// @dev Internal library calls are inlined; going through a contract lets a test expect a revert.
contract WilsonScoreHarness {
    function lowerBoundBps(uint256 successes, uint256 trials, uint256 scale) external pure returns (uint256) {
        return WilsonScore.lowerBoundBps(successes, trials, scale);
    }
}

contract WilsonScoreTest is Test {
    /// @dev Far more outcomes than any provider will have; keeps every intermediate product in range.
    uint256 private constant MAX_TRIALS = 1e15;
    /// @dev The scale ReputationSystem uses (quarter trials).
    uint256 private constant QUARTERS = 4;

    WilsonScoreHarness private harness;

    function setUp() public {
        harness = new WilsonScoreHarness();
    }

    function _scale(uint256 seed) private pure returns (uint256) {
        return seed % 2 == 0 ? 1 : QUARTERS;
    }

    /// @dev Reference values of the 95 % Wilson lower bound, truncated to basis points.
    function test_lowerBound_knownValues() public pure {
        assertEq(WilsonScore.lowerBoundBps(0, 0, 1), 0);
        assertEq(WilsonScore.lowerBoundBps(0, 10, 1), 0);
        assertEq(WilsonScore.lowerBoundBps(1, 1, 1), 2_065);
        assertEq(WilsonScore.lowerBoundBps(10, 10, 1), 7_224);
        assertEq(WilsonScore.lowerBoundBps(500, 500, 1), 9_923);
        assertEq(WilsonScore.lowerBoundBps(5, 10, 1), 2_365);
        assertEq(WilsonScore.lowerBoundBps(9, 10, 1), 5_958);
        assertEq(WilsonScore.lowerBoundBps(90, 100, 1), 8_256);
        // Quarter trials: 22 quarters out of 40 is 5.5 of 10.
        assertEq(WilsonScore.lowerBoundBps(22, 40, QUARTERS), 2_736);
    }

    /// @dev The whole point of the score: the same perfect rate counts for more with more evidence.
    function test_lowerBound_rewardsEvidence() public pure {
        uint256 one = WilsonScore.lowerBoundBps(1, 1, 1);
        uint256 ten = WilsonScore.lowerBoundBps(10, 10, 1);
        uint256 fiveHundred = WilsonScore.lowerBoundBps(500, 500, 1);
        assertLt(one, ten);
        assertLt(ten, fiveHundred);
        assertLt(fiveHundred, 10_000);
    }

    function test_lowerBound_revertsWhenSuccessesExceedTrials() public {
        vm.expectRevert(stdError.arithmeticError);
        harness.lowerBoundBps(2, 1, 1);
    }

    function testFuzz_lowerBound_zeroWithoutTrials(uint256 successes, uint256 scale) public pure {
        scale = bound(scale, 1, type(uint64).max);
        assertEq(WilsonScore.lowerBoundBps(successes, 0, scale), 0);
    }

    function testFuzz_lowerBound_zeroWithoutSuccesses(uint256 trials, uint256 scaleSeed) public pure {
        trials = bound(trials, 1, MAX_TRIALS);
        assertEq(WilsonScore.lowerBoundBps(0, trials, _scale(scaleSeed)), 0);
    }

    /// @dev A lower bound never exceeds the observed rate.
    function testFuzz_lowerBound_withinObservedRate(uint256 successes, uint256 trials, uint256 scaleSeed) public pure {
        trials = bound(trials, 1, MAX_TRIALS);
        successes = bound(successes, 0, trials);

        uint256 score = WilsonScore.lowerBoundBps(successes, trials, _scale(scaleSeed));
        assertLe(score, (successes * 10_000) / trials);
        assertLt(score, 10_000);
    }

    /// @dev At the same success rate, more outcomes never lower the score.
    function testFuzz_lowerBound_growsWithEvidence(
        uint256 successes,
        uint256 trials,
        uint256 fewer,
        uint256 more
    ) public pure {
        trials = bound(trials, 1, 1e6);
        successes = bound(successes, 0, trials);
        fewer = bound(fewer, 1, 1_000);
        more = bound(more, fewer, 1e6);

        assertLe(
            WilsonScore.lowerBoundBps(successes * fewer, trials * fewer, 1),
            WilsonScore.lowerBoundBps(successes * more, trials * more, 1)
        );
    }

    function testFuzz_lowerBound_monotonicInOutcomes(uint256 successes, uint256 trials, uint256 scaleSeed) public pure {
        trials = bound(trials, 1, MAX_TRIALS);
        successes = bound(successes, 0, trials - 1);
        uint256 scale = _scale(scaleSeed);
        uint256 score = WilsonScore.lowerBoundBps(successes, trials, scale);

        assertGe(WilsonScore.lowerBoundBps(successes + 1, trials, scale), score, "a failure became a success");
        assertLe(WilsonScore.lowerBoundBps(successes, trials + 1, scale), score, "one more failure");
    }

    /// @dev Counting in quarter trials only changes the unit: whole outcomes score the same.
    function testFuzz_lowerBound_scaleInvariant(uint256 successes, uint256 trials) public pure {
        trials = bound(trials, 1, MAX_TRIALS);
        successes = bound(successes, 0, trials);

        assertEq(
            WilsonScore.lowerBoundBps(successes * QUARTERS, trials * QUARTERS, QUARTERS),
            WilsonScore.lowerBoundBps(successes, trials, 1)
        );
    }
}
