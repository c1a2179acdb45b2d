// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {StreamMath} from "../../contracts/libraries/StreamMath.sol";

contract StreamMathTest is Test {
    /// @dev Bounds of the escrow's Deposit and Stream fields: uint96 amounts, uint16 hours.
    uint256 private constant MAX_AMOUNT = type(uint96).max;
    uint256 private constant MAX_HOURS = type(uint16).max;
    uint256 private constant MIN_PERIOD_SECONDS = 10;
    uint256 private constant MAX_REPORT_WINDOW_SECONDS = 30 days;
    /// @dev Most periods a test walks through, to keep each run fast.
    uint256 private constant MAX_PERIODS_WALKED = 300;

    struct Stream {
        uint256 amount;
        uint256 durationSeconds;
        uint256 activeSeconds;
        uint256 periodSeconds;
    }

    /// @dev A stream as the escrow can hold one: whole hours, possibly stopped early, cut into at
    /// most MAX_PERIODS_WALKED periods of at least MIN_PERIOD_SECONDS.
    function _stream(
        uint256 amount,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds
    ) private pure returns (Stream memory s) {
        s.amount = bound(amount, 0, MAX_AMOUNT);
        s.durationSeconds = bound(hoursBooked, 1, MAX_HOURS) * 1 hours;
        s.activeSeconds = bound(activeSeconds, 1, s.durationSeconds);
        uint256 minPeriod = (s.activeSeconds + MAX_PERIODS_WALKED - 1) / MAX_PERIODS_WALKED;
        if (minPeriod < MIN_PERIOD_SECONDS) minPeriod = MIN_PERIOD_SECONDS;
        s.periodSeconds = bound(periodSeconds, minPeriod, minPeriod + s.activeSeconds);
    }

    function test_streamed_knownValues() public pure {
        assertEq(StreamMath.streamed(100, 0, 3_600), 0);
        assertEq(StreamMath.streamed(100, 1_800, 3_600), 50);
        // 100 * 59 / 3600 = 1.64: the payee gets the whole unit only once it has streamed.
        assertEq(StreamMath.streamed(100, 59, 3_600), 1);
        assertEq(StreamMath.streamed(100, 3_600, 3_600), 100);
        assertEq(StreamMath.streamed(100, 10_000, 3_600), 100);
    }

    function test_periods_knownValues() public pure {
        assertEq(StreamMath.periodCount(3_600, 60), 60);
        assertEq(StreamMath.periodCount(130, 60), 3);
        assertEq(StreamMath.periodCount(0, 60), 0);
        // A stream stopped at 130 s: its last period is 10 s long.
        assertEq(StreamMath.periodEnd(1, 60, 130), 120);
        assertEq(StreamMath.periodEnd(2, 60, 130), 130);
        // 100 units over an hour in minutes: 1.67 per minute, paid out as 1, 2, 2, 1, 2, 2, ...
        assertEq(StreamMath.periodValue(100, 3_600, 0, 60, 3_600), 1);
        assertEq(StreamMath.periodValue(100, 3_600, 1, 60, 3_600), 2);
        assertEq(StreamMath.periodValue(100, 3_600, 2, 60, 3_600), 2);
        assertEq(StreamMath.periodValue(100, 3_600, 3, 60, 3_600), 1);
        assertEq(StreamMath.periodValue(100, 3_600, 59, 60, 3_600), 2);
    }

    function test_unlockedUntil_knownValues() public pure {
        // Within the first report window only settled periods unlock.
        assertEq(StreamMath.unlockedUntil(0, 60, 3_600, 299, 300), 0);
        assertEq(StreamMath.unlockedUntil(2, 60, 3_600, 299, 300), 120);
        // At 430 s the windows of the periods ending at 60 and 120 have closed (130 s past the window).
        assertEq(StreamMath.unlockedUntil(0, 60, 3_600, 430, 300), 120);
        // Settled periods past the closed ones still count.
        assertEq(StreamMath.unlockedUntil(5, 60, 3_600, 430, 300), 300);
        // A stopped stream unlocks through its end once its last window has closed.
        assertEq(StreamMath.unlockedUntil(0, 60, 130, 429, 300), 120);
        assertEq(StreamMath.unlockedUntil(0, 60, 130, 430, 300), 130);
        // More settled periods than the stream has cannot unlock past its end.
        assertEq(StreamMath.unlockedUntil(10, 60, 130, 0, 300), 130);
    }

    function testFuzz_streamed_boundedAndMonotonic(
        uint256 amount,
        uint256 hoursBooked,
        uint256 earlier,
        uint256 later
    ) public pure {
        amount = bound(amount, 0, MAX_AMOUNT);
        uint256 duration = bound(hoursBooked, 1, MAX_HOURS) * 1 hours;
        earlier = bound(earlier, 0, duration + 1 days);
        later = bound(later, earlier, duration + 1 days);

        uint256 streamedEarlier = StreamMath.streamed(amount, earlier, duration);
        uint256 streamedLater = StreamMath.streamed(amount, later, duration);
        assertLe(streamedEarlier, streamedLater);
        assertLe(streamedLater, amount);
        assertEq(StreamMath.streamed(amount, duration, duration), amount);
        // Rounding favours the payer: never ahead of the exact linear value.
        assertLe(streamedEarlier * duration, amount * earlier);
    }

    /// @dev The periods tile the active time exactly: each starts where the previous one ended, none
    /// is longer than a period, and the last ends at `activeSeconds`.
    function testFuzz_periods_tileActiveTime(
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds
    ) public pure {
        Stream memory s = _stream(0, hoursBooked, activeSeconds, periodSeconds);
        uint256 count = StreamMath.periodCount(s.activeSeconds, s.periodSeconds);
        assertGt(count, 0);

        uint256 previousEnd = 0;
        for (uint256 period = 0; period < count; ++period) {
            uint256 end = StreamMath.periodEnd(period, s.periodSeconds, s.activeSeconds);
            assertEq(period * s.periodSeconds, previousEnd, "period starts where the previous ended");
            assertGt(end, previousEnd, "period is not empty");
            assertLe(end - previousEnd, s.periodSeconds, "period is not longer than a period");
            previousEnd = end;
        }
        assertEq(previousEnd, s.activeSeconds, "last period ends with the stream");
    }

    /// @dev Period values add up exactly to what streamed, and none exceeds its exact share rounded up.
    function testFuzz_periodValues_sumToStreamed(
        uint256 amount,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds
    ) public pure {
        Stream memory s = _stream(amount, hoursBooked, activeSeconds, periodSeconds);
        uint256 count = StreamMath.periodCount(s.activeSeconds, s.periodSeconds);
        uint256 cap = _ceilDiv(s.amount * s.periodSeconds, s.durationSeconds);

        uint256 sum = 0;
        for (uint256 period = 0; period < count; ++period) {
            uint256 value = StreamMath.periodValue(
                s.amount,
                s.durationSeconds,
                period,
                s.periodSeconds,
                s.activeSeconds
            );
            assertLe(value, cap, "period value above its share rounded up");
            sum += value;
        }
        assertEq(sum, StreamMath.streamed(s.amount, s.activeSeconds, s.durationSeconds));
    }

    /// @dev A period's value is what streamed between its start and its end, so a prefix of periods
    /// is worth exactly what streamed up to the prefix's end.
    function testFuzz_periodValues_prefixMatchesStreamed(
        uint256 amount,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds,
        uint256 prefix
    ) public pure {
        Stream memory s = _stream(amount, hoursBooked, activeSeconds, periodSeconds);
        uint256 count = StreamMath.periodCount(s.activeSeconds, s.periodSeconds);
        prefix = bound(prefix, 1, count);

        uint256 sum = 0;
        for (uint256 period = 0; period < prefix; ++period) {
            sum += StreamMath.periodValue(s.amount, s.durationSeconds, period, s.periodSeconds, s.activeSeconds);
        }
        uint256 prefixEnd = StreamMath.periodEnd(prefix - 1, s.periodSeconds, s.activeSeconds);
        assertEq(sum, StreamMath.streamed(s.amount, prefixEnd, s.durationSeconds));
    }

    function testFuzz_unlockedUntil_monotonicInTime(
        uint256 settledPeriods,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds,
        uint256 window,
        uint256 earlier,
        uint256 later
    ) public pure {
        Stream memory s = _stream(0, hoursBooked, activeSeconds, periodSeconds);
        settledPeriods = bound(settledPeriods, 0, StreamMath.periodCount(s.activeSeconds, s.periodSeconds) + 2);
        window = bound(window, 1, MAX_REPORT_WINDOW_SECONDS);
        earlier = bound(earlier, 0, s.activeSeconds + window + 1 days);
        later = bound(later, earlier, s.activeSeconds + window + 1 days);

        uint256 unlockedEarlier = StreamMath.unlockedUntil(
            settledPeriods,
            s.periodSeconds,
            s.activeSeconds,
            earlier,
            window
        );
        uint256 unlockedLater = StreamMath.unlockedUntil(
            settledPeriods,
            s.periodSeconds,
            s.activeSeconds,
            later,
            window
        );
        assertLe(unlockedEarlier, unlockedLater);
        assertLe(unlockedLater, s.activeSeconds);
    }

    function testFuzz_unlockedUntil_monotonicInSettledPeriods(
        uint256 fewer,
        uint256 more,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds,
        uint256 window,
        uint256 nowOffset
    ) public pure {
        Stream memory s = _stream(0, hoursBooked, activeSeconds, periodSeconds);
        uint256 count = StreamMath.periodCount(s.activeSeconds, s.periodSeconds);
        fewer = bound(fewer, 0, count + 2);
        more = bound(more, fewer, count + 2);
        window = bound(window, 1, MAX_REPORT_WINDOW_SECONDS);
        nowOffset = bound(nowOffset, 0, s.activeSeconds + window + 1 days);

        uint256 unlockedFewer = StreamMath.unlockedUntil(fewer, s.periodSeconds, s.activeSeconds, nowOffset, window);
        uint256 unlockedMore = StreamMath.unlockedUntil(more, s.periodSeconds, s.activeSeconds, nowOffset, window);
        assertLe(unlockedFewer, unlockedMore);
        assertLe(unlockedMore, s.activeSeconds);
    }

    /// @dev What unlocks is always a whole number of periods (or the whole stream), and anything past
    /// the settled periods unlocks only once the report window of every period in it has closed:
    /// a period that can still be reported is never paid out.
    function testFuzz_unlockedUntil_neverUnlocksAReportablePeriod(
        uint256 settledPeriods,
        uint256 hoursBooked,
        uint256 activeSeconds,
        uint256 periodSeconds,
        uint256 window,
        uint256 nowOffset
    ) public pure {
        Stream memory s = _stream(0, hoursBooked, activeSeconds, periodSeconds);
        settledPeriods = bound(settledPeriods, 0, StreamMath.periodCount(s.activeSeconds, s.periodSeconds));
        window = bound(window, 1, MAX_REPORT_WINDOW_SECONDS);
        nowOffset = bound(nowOffset, 0, s.activeSeconds + window + 1 days);

        uint256 unlocked = StreamMath.unlockedUntil(
            settledPeriods,
            s.periodSeconds,
            s.activeSeconds,
            nowOffset,
            window
        );
        assertTrue(unlocked == s.activeSeconds || unlocked % s.periodSeconds == 0, "unlocks whole periods");

        uint256 settledEnd = settledPeriods * s.periodSeconds;
        if (settledEnd > s.activeSeconds) settledEnd = s.activeSeconds;
        assertGe(unlocked, settledEnd, "settled periods are unlocked");
        if (unlocked > settledEnd) assertLe(unlocked + window, nowOffset, "unsettled period unlocked early");
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
