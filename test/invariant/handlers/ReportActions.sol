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

    /// @dev Result of submitting one report, as the SLA rules predict it.
    enum ReportOutcome {
        Settles,
        Skipped,
        Reverts
    }

    /// @dev Oracles sign a batch of one or two reports with random uptime and latency. The first
    /// report is for the next reportable period of a started booking (waiting for it to end if
    /// needed), or now and then for any period; the second repeats it, reports the period after it,
    /// or reports another booking. Too few signatures, no samples or a period the booking does not
    /// have revert the whole batch; a period that cannot settle now is skipped and the rest settles.
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
            uint256 seed = uint256(keccak256(abi.encode(measureSeed, i)));
            reports[i].uptimeBps = _uptime(seed);
            reports[i].p95LatencyMs = uint32(_bound(seed >> 32, 0, 600));
            reports[i].sampleCount = seed % 32 == 0 ? 0 : uint32(_bound(seed >> 64, 1, 60));
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
        } catch {
            _dropLogs();
            if (valid) _violation("sla: refused a batch of well-formed reports");
        }
    }

    /// @dev Reports for `period` of `bookingId`, then maybe a repeat, the next period, or the next
    /// reportable period of another booking.
    function _reportBatch(
        uint256 bookingId,
        uint256 period,
        uint256 bookingSeed,
        uint256 shapeSeed
    ) private view returns (ISLAEnforcement.SlaReport[] memory reports) {
        uint256 shape = (shapeSeed >> 4) % 4;
        uint256 otherId = shape == 3 ? _findBooking(bookingSeed >> 32, _isStarted) : 0;
        uint256 otherPeriod = otherId == 0 ? 0 : _firstOpenPeriod(otherId);
        bool second =
            shape == 1 ||
                (shape == 2 && period + 1 < _periodCount(bookingId)) ||
                (otherId != 0 && otherId != bookingId && otherPeriod < _periodCount(otherId));
        reports = new ISLAEnforcement.SlaReport[](second ? 2 : 1);
        reports[0].bookingId = bookingId;
        reports[0].period = uint32(period);
        if (!second) return reports;
        reports[1].bookingId = shape == 3 ? otherId : bookingId;
        reports[1].period = uint32(
            shape == 1
                ? period
                : shape == 2
                    ? period + 1
                    : otherPeriod
        );
    }

    /// @dev Whether the batch should go through, and how many periods it should settle, by the SLA
    /// rules as documented: reports settle in order, within the period's report window, once.
    function _predict(
        ISLAEnforcement.SlaReport[] memory reports,
        uint256 signerCount
    ) private view returns (bool valid, uint256 settled) {
        if (signerCount < sla.quorum()) return (false, 0);
        uint256[] memory settledPeriods = new uint256[](reports.length);
        for (uint256 i = 0; i < reports.length; ++i) {
            if (reports[i].sampleCount == 0) return (false, 0);
            settledPeriods[i] = escrow.streamOf(reports[i].bookingId).settledPeriods;
            for (uint256 j = 0; j < i; ++j) {
                if (reports[j].bookingId == reports[i].bookingId && settledPeriods[j] > settledPeriods[i]) {
                    settledPeriods[i] = settledPeriods[j];
                }
            }
            ReportOutcome outcome = _reportOutcome(reports[i].bookingId, reports[i].period, settledPeriods[i]);
            if (outcome == ReportOutcome.Reverts) return (false, 0);
            if (outcome == ReportOutcome.Settles) {
                ++settled;
                settledPeriods[i] = uint256(reports[i].period) + 1;
            }
        }
        return (true, settled);
    }

    function _reportOutcome(
        uint256 bookingId,
        uint256 period,
        uint256 settledPeriods
    ) private view returns (ReportOutcome) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 window = escrow.settings().reportWindowSeconds;
        uint256 active = stream.endsAt - stream.startedAt;
        if (period < settledPeriods) return ReportOutcome.Skipped;
        if (period >= active.periodCount(periodSeconds)) return ReportOutcome.Reverts;
        uint256 nowOffset = currentTime - stream.startedAt;
        uint256 end = period.periodEnd(periodSeconds, active);
        if (nowOffset < end || nowOffset >= end + window) return ReportOutcome.Skipped;
        if (period > settledPeriods && nowOffset < (period - 1).periodEnd(periodSeconds, active) + window) {
            return ReportOutcome.Skipped;
        }
        return ReportOutcome.Settles;
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
