// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title StreamMath
/// @notice Linear payment streams cut into fixed-length SLA periods. Times are offsets in seconds
/// from the moment the stream started; a stream of `amount` over `durationSeconds` may be stopped
/// early, after `activeSeconds`.
/// @dev Every value is a difference of `streamed` at two offsets, so period values add up exactly
/// to what has streamed, and rounding (down) always favours the payer.
library StreamMath {
    /// @notice Value streamed after `elapsed` seconds, rounded down.
    function streamed(uint256 amount, uint256 elapsed, uint256 durationSeconds) internal pure returns (uint256) {
        if (elapsed >= durationSeconds) return amount;
        return (amount * elapsed) / durationSeconds;
    }

    /// @notice Number of SLA periods in `activeSeconds` (the last one may be shorter).
    function periodCount(uint256 activeSeconds, uint256 periodSeconds) internal pure returns (uint256) {
        return (activeSeconds + periodSeconds - 1) / periodSeconds;
    }

    /// @notice Offset at which `period` ends.
    function periodEnd(uint256 period, uint256 periodSeconds, uint256 activeSeconds) internal pure returns (uint256) {
        uint256 end = (period + 1) * periodSeconds;
        return end < activeSeconds ? end : activeSeconds;
    }

    /// @notice Value of `period`: what streamed between its start and its end.
    function periodValue(
        uint256 amount,
        uint256 durationSeconds,
        uint256 period,
        uint256 periodSeconds,
        uint256 activeSeconds
    ) internal pure returns (uint256) {
        return
            streamed(amount, periodEnd(period, periodSeconds, activeSeconds), durationSeconds) -
            streamed(amount, period * periodSeconds, durationSeconds);
    }

    /// @notice Offset up to which streamed value is final and may be paid to the payee: through the
    /// last settled period, or through the last period whose report window has closed.
    /// @param settledPeriods Periods settled so far, in order from the first.
    /// @param nowOffset Seconds since the stream started.
    function unlockedUntil(
        uint256 settledPeriods,
        uint256 periodSeconds,
        uint256 activeSeconds,
        uint256 nowOffset,
        uint256 reportWindowSeconds
    ) internal pure returns (uint256) {
        uint256 settledEnd = settledPeriods * periodSeconds;
        if (settledEnd > activeSeconds) settledEnd = activeSeconds;
        if (nowOffset < reportWindowSeconds) return settledEnd;
        uint256 closed = nowOffset - reportWindowSeconds;
        uint256 closedEnd = closed >= activeSeconds ? activeSeconds : (closed / periodSeconds) * periodSeconds;
        return closedEnd > settledEnd ? closedEnd : settledEnd;
    }
}
