// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {StreamMath} from "../libraries/StreamMath.sol";

/// @title StreamMathHarness
/// @notice Exposes StreamMath to off-chain tests, which check the sdk's TypeScript stream maths
/// against the library the escrow runs.
contract StreamMathHarness {
    function streamed(uint256 amount, uint256 elapsed, uint256 durationSeconds) external pure returns (uint256) {
        return StreamMath.streamed(amount, elapsed, durationSeconds);
    }

    function periodCount(uint256 activeSeconds, uint256 periodSeconds) external pure returns (uint256) {
        return StreamMath.periodCount(activeSeconds, periodSeconds);
    }

    function periodEnd(uint256 period, uint256 periodSeconds, uint256 activeSeconds) external pure returns (uint256) {
        return StreamMath.periodEnd(period, periodSeconds, activeSeconds);
    }

    function periodValue(
        uint256 amount,
        uint256 durationSeconds,
        uint256 period,
        uint256 periodSeconds,
        uint256 activeSeconds
    ) external pure returns (uint256) {
        return StreamMath.periodValue(amount, durationSeconds, period, periodSeconds, activeSeconds);
    }

    function unlockedUntil(
        uint256 settledPeriods,
        uint256 periodSeconds,
        uint256 activeSeconds,
        uint256 nowOffset,
        uint256 reportWindowSeconds
    ) external pure returns (uint256) {
        return StreamMath.unlockedUntil(settledPeriods, periodSeconds, activeSeconds, nowOffset, reportWindowSeconds);
    }
}
