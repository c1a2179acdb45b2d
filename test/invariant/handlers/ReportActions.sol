// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {ISLAEnforcement} from "../../../contracts/interfaces/ISLAEnforcement.sol";
import {StreamMath} from "../../../contracts/libraries/StreamMath.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title ReportActions
/// @notice Oracles sign SLA reports with random measurements and anyone submits them.
abstract contract ReportActions is HandlerBase {
    using StreamMath for uint256;

    /// @dev Most periods in one report: enough to span a closed window, an unended period and the
    /// booking's end.
    uint256 private constant MAX_REPORT_PERIODS = 12;

    /// @dev Oracles sign a batch of one or two reports, each over a run of consecutive periods with
    /// random uptime and latency (every credit tier). The first report starts at the next reportable
    /// period of a started booking (waiting for it to end if needed), or now and then at any period;
    /// the second repeats it, overlaps it, follows it, comes before it (out of order), or reports
    /// another booking. Too few signatures, a period without samples or one the booking does not have
    /// revert the whole batch; periods that cannot settle now are skipped and the rest settles.
    function submitReports(
        uint256 bookingSeed,
        uint256 measureSeed,
        uint256 signersSeed,
        uint256 shapeSeed,
        uint256 submitterSeed
    ) external step {
        uint256 bookingId = _findBooking(bookingSeed, _hasOpenPeriod);
        if (bookingId == 0) bookingId = _findBooking(bookingSeed, _isStarted);
        if (bookingId == 0) return;
        uint256 period = _nextReportablePeriod(bookingId, shapeSeed);
        if (shapeSeed % 8 == 0) period = _bound(shapeSeed >> 8, 0, _periodCount(bookingId) + 1);

        ISLAEnforcement.SlaReport[] memory reports = _reportBatch(bookingId, period, bookingSeed, shapeSeed);
        for (uint256 i = 0; i < reports.length; ++i) {
            _measure(reports[i], uint256(keccak256(abi.encode(measureSeed, i))));
        }
        uint256 signerCount = _signerCount(signersSeed);
        bytes[][] memory signatures = new bytes[][](reports.length);
        for (uint256 i = 0; i < reports.length; ++i) {
            signatures[i] = _signDigest(sla.reportDigest(reports[i]), signerCount, signersSeed >> 8);
        }
        (bool valid, uint256 expectedSettled) = _predict(reports, signerCount);

        vm.prank(_anyone(submitterSeed));
        try sla.submitReports(reports, signatures) returns (uint256 settled) {
            if (!valid) _violation("sla: accepted a batch with an invalid report");
            else if (settled != expectedSettled) _violation("sla: settled a different number of periods");
            stats.periodsSettled += settled;
            if (reports[0].uptimeBps.length > 1) ++stats.rangesSubmitted;
        } catch {
            _dropLogs();
            if (valid) _violation("sla: refused a batch of well-formed reports");
        }
    }

    /// @dev A report of `bookingId` from `period` on, then maybe a repeat, an overlapping or the
    /// following report, one ending just before it, or the next reportable periods of another booking.
    function _reportBatch(
        uint256 bookingId,
        uint256 period,
        uint256 bookingSeed,
        uint256 shapeSeed
    ) private view returns (ISLAEnforcement.SlaReport[] memory reports) {
        uint256 count = _bound(shapeSeed >> 40, 1, MAX_REPORT_PERIODS);
        uint256 shape = (shapeSeed >> 4) % 6;
        uint256 otherId = shape == 5 ? _findBooking(bookingSeed >> 32, _isStarted) : 0;
        bool second = shape == 1 || shape == 2 || shape == 3 || (shape == 4 && period > 0) || otherId != 0;
        reports = new ISLAEnforcement.SlaReport[](second ? 2 : 1);
        reports[0] = _range(bookingId, period, count);
        if (!second) return reports;
        uint256 count2 = _bound(shapeSeed >> 48, 1, MAX_REPORT_PERIODS);
        if (shape == 1) reports[1] = _range(bookingId, period, count);
        else if (shape == 2) reports[1] = _range(bookingId, period + _bound(shapeSeed >> 56, 0, count - 1), count2);
        else if (shape == 3) reports[1] = _range(bookingId, period + count, count2);
        else if (shape == 4) {
            uint256 before = count2 < period ? count2 : period;
            reports[1] = _range(bookingId, period - before, before);
        } else reports[1] = _range(otherId, _firstOpenPeriod(otherId), count2);
    }

    function _range(
        uint256 bookingId,
        uint256 firstPeriod,
        uint256 count
    ) private pure returns (ISLAEnforcement.SlaReport memory report) {
        report.bookingId = bookingId;
        report.firstPeriod = uint32(firstPeriod);
        report.uptimeBps = new uint16[](count);
        report.p95LatencyMs = new uint32[](count);
        report.sampleCount = new uint32[](count);
    }

    /// @dev Random figures for every period of `report`; now and then one without samples.
    function _measure(ISLAEnforcement.SlaReport memory report, uint256 seed) private pure {
        for (uint256 p = 0; p < report.uptimeBps.length; ++p) {
            uint256 periodSeed = uint256(keccak256(abi.encode(seed, p)));
            report.uptimeBps[p] = _uptime(periodSeed);
            report.p95LatencyMs[p] = uint32(_bound(periodSeed >> 32, 0, 600));
            report.sampleCount[p] = seed % 32 == p ? 0 : uint32(_bound(periodSeed >> 64, 1, 60));
        }
    }

    /// @dev Whether the batch should go through, and how many periods it should settle, by the SLA
    /// rules as documented for one period, applied to each period of each report in order: periods
    /// settle in order, within their report window, once.
    function _predict(
        ISLAEnforcement.SlaReport[] memory reports,
        uint256 signerCount
    ) private view returns (bool valid, uint256 settled) {
        if (signerCount < sla.quorum()) return (false, 0);
        uint256[] memory settledPeriods = new uint256[](reports.length);
        for (uint256 i = 0; i < reports.length; ++i) {
            ISLAEnforcement.SlaReport memory report = reports[i];
            uint256 count = report.uptimeBps.length;
            if (count == 0) return (false, 0);
            for (uint256 p = 0; p < count; ++p) if (report.sampleCount[p] == 0) return (false, 0);
            if (report.firstPeriod + count > _periodCount(report.bookingId)) return (false, 0);
            settledPeriods[i] = escrow.streamOf(report.bookingId).settledPeriods;
            for (uint256 j = 0; j < i; ++j) {
                if (reports[j].bookingId == report.bookingId && settledPeriods[j] > settledPeriods[i]) {
                    settledPeriods[i] = settledPeriods[j];
                }
            }
            for (uint256 period = report.firstPeriod; period < report.firstPeriod + count; ++period) {
                if (_settles(report.bookingId, period, settledPeriods[i])) {
                    ++settled;
                    settledPeriods[i] = period + 1;
                }
            }
        }
        return (true, settled);
    }

    /// @dev Whether `period`, reported alone, settles now after `settledPeriods`.
    function _settles(uint256 bookingId, uint256 period, uint256 settledPeriods) private view returns (bool) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 window = escrow.settings().reportWindowSeconds;
        uint256 active = stream.endsAt - stream.startedAt;
        if (period < settledPeriods) return false;
        uint256 nowOffset = currentTime - stream.startedAt;
        uint256 end = period.periodEnd(periodSeconds, active);
        if (nowOffset < end || nowOffset >= end + window) return false;
        return period == settledPeriods || nowOffset >= (period - 1).periodEnd(periodSeconds, active) + window;
    }

    /// @dev First unsettled period whose report window is still open (it may not have ended yet).
    function _firstOpenPeriod(uint256 bookingId) private view returns (uint256 period) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 window = escrow.settings().reportWindowSeconds;
        uint256 active = stream.endsAt - stream.startedAt;
        uint256 count = active.periodCount(periodSeconds);
        uint256 nowOffset = currentTime - stream.startedAt;
        period = stream.settledPeriods;
        while (period < count && period.periodEnd(periodSeconds, active) + window <= nowOffset) ++period;
    }

    /// @dev The period an oracle would report next, waiting until it has ended.
    function _nextReportablePeriod(uint256 bookingId, uint256 seed) private returns (uint256 period) {
        period = _firstOpenPeriod(bookingId);
        if (period >= _periodCount(bookingId)) return period;
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 end = stream.startedAt + period.periodEnd(periodSeconds, stream.endsAt - stream.startedAt);
        if (currentTime < end) {
            _warpTo(end + _bound(seed >> 16, 0, escrow.settings().reportWindowSeconds - 1));
        }
    }

    function _hasOpenPeriod(uint256 id) private view returns (bool) {
        return _isStarted(id) && _firstOpenPeriod(id) < _periodCount(id);
    }

    /// @dev Uptime spread over every credit tier of both policies: perfect, just meeting typical
    /// targets, 99–99.5 %, 95–99 %, 90–95 % and below 90 %.
    function _uptime(uint256 seed) private pure returns (uint16) {
        uint256 bucket = seed % 6;
        if (bucket == 0) return 10_000;
        if (bucket == 1) return uint16(_bound(seed >> 8, 9_950, 9_999));
        if (bucket == 2) return uint16(_bound(seed >> 8, 9_900, 9_949));
        if (bucket == 3) return uint16(_bound(seed >> 8, 9_500, 9_899));
        if (bucket == 4) return uint16(_bound(seed >> 8, 9_000, 9_499));
        return uint16(_bound(seed >> 8, 0, 8_999));
    }
}
