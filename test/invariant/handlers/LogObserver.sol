// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../../../contracts/interfaces/ISLAEnforcement.sol";
import {StreamMath} from "../../../contracts/libraries/StreamMath.sol";
import {BookingGhost, HandlerBase} from "./HandlerBase.sol";

/// @title LogObserver
/// @notice After every action of MarketplaceHandler: turns the events it emitted into the ghosts
/// (money per booking and token, reputation outcomes, active value, settlements), and checks every
/// booking against what the handler knows it was booked with.
abstract contract LogObserver is HandlerBase {
    using StreamMath for uint256;

    /// @dev The periods of one SlaPeriodsSettled event that count in reputation.
    struct RangeTally {
        uint256 compliant;
        uint256 violated;
        uint256 creditBpsTotal;
        uint256 compliantValue;
        uint256 violatedValue;
    }

    /// @dev A settled period, as SlaPeriodsSettled reports it.
    struct SettledPeriod {
        uint16 uptimeBps;
        uint32 p95LatencyMs;
        uint32 sampleCount;
        bool compliant;
        uint16 creditBps;
        uint256 value;
        uint256 credit;
    }

    function _afterStep() internal override {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // Lifecycle events first: a slash is emitted before the cancellation or termination that
        // causes it, in the same transaction.
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(marketplace) && logs[i].topics.length != 0) _processMarketplaceLog(logs[i]);
        }
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.topics.length == 0) continue;
            if (log.emitter == address(escrow)) {
                _processEscrowLog(log);
            } else if (log.emitter == address(sla)) {
                if (log.topics[0] == ISLAEnforcement.SlaPeriodsSettled.selector) _processSettlement(log);
                else if (log.topics[0] == ISLAEnforcement.SlaReportSkipped.selector) ++stats.reportsSkipped;
            }
        }
        _checkBookings();
    }

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    function _processMarketplaceLog(Vm.Log memory log) private {
        bytes32 topic = log.topics[0];
        if (
            topic != IResourceMarketplace.BookingProvisioned.selector &&
            topic != IResourceMarketplace.BookingCompleted.selector &&
            topic != IResourceMarketplace.BookingCancelled.selector &&
            topic != IResourceMarketplace.BookingTerminated.selector
        ) return;
        BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
        // Every lifecycle event names the consumer, so that clients can filter their own bookings.
        if (_topicAddress(log, 2) != ghost.consumer) _violation("event: lifecycle event for another consumer");
        IReputationSystem.Record storage provider = providerGhosts[ghost.provider];
        if (topic == IResourceMarketplace.BookingProvisioned.selector) {
            activeValueGhost[ghost.provider][ghost.token] += ghost.deposit;
        } else if (topic == IResourceMarketplace.BookingCompleted.selector) {
            ++provider.bookingsCompleted;
            activeValueGhost[ghost.provider][ghost.token] -= ghost.deposit;
        } else if (topic == IResourceMarketplace.BookingCancelled.selector) {
            IResourceMarketplace.CancelReason reason = abi.decode(log.data, (IResourceMarketplace.CancelReason));
            if (reason == IResourceMarketplace.CancelReason.ProvisioningTimedOut) _recordFailure(ghost);
        } else {
            (bool byProvider, ) = abi.decode(log.data, (bool, uint256));
            activeValueGhost[ghost.provider][ghost.token] -= ghost.deposit;
            if (byProvider) _recordFailure(ghost);
        }
    }

    /// @dev A provider failure: a failed booking weighing four times its value (at least the minimum).
    function _recordFailure(BookingGhost storage ghost) private {
        ghost.providerFault = true;
        IReputationSystem.Record storage provider = providerGhosts[ghost.provider];
        ++provider.bookingsFailed;
        uint256 t = _tokenIndex(ghost.token);
        uint256 usd = _priced(t) ? _usd(t, ghost.deposit) : 0;
        uint256 minValue = reputation.minValueUsdE8();
        provider.trialUsdE8 += uint128(4 * (usd > minValue ? usd : minValue));
    }

    function _processEscrowLog(Vm.Log memory log) private {
        bytes32 topic = log.topics[0];
        if (topic == IEscrowManager.Deposited.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (address token, uint256 amount) = abi.decode(log.data, (address, uint256));
            if (_topicAddress(log, 2) != ghost.consumer || token != ghost.token || amount != ghost.deposit) {
                _violation("event: deposit differs from the booking");
            }
        } else if (topic == IEscrowManager.EarningsWithdrawn.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (uint256 gross, uint256 fee, ) = abi.decode(log.data, (uint256, uint256, address));
            ghost.providerGross += gross;
            ghost.fees += fee;
            tokenGhosts[ghost.token].feesCharged += fee;
            if (_topicAddress(log, 3) != ghost.token) _violation("event: withdrawal token");
        } else if (topic == IEscrowManager.ConsumerRefunded.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (uint256 amount, IEscrowManager.RefundReason reason) = abi.decode(
                log.data,
                (uint256, IEscrowManager.RefundReason)
            );
            if (reason == IEscrowManager.RefundReason.SlaCredit) ghost.slaCredits += amount;
            else ghost.refunds += amount;
            if (_topicAddress(log, 2) != ghost.consumer || _topicAddress(log, 3) != ghost.token) {
                _violation("event: refund to someone else or in another token");
            }
        } else if (topic == IEscrowManager.CancellationFeeCredited.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            ghost.cancellationFee += abi.decode(log.data, (uint256));
            if (_topicAddress(log, 2) != ghost.provider || _topicAddress(log, 3) != ghost.token) {
                _violation("event: cancellation fee to someone else or in another token");
            }
        } else if (topic == IEscrowManager.BondSlashed.selector) {
            _processSlash(log);
        }
    }

    function _processSlash(Vm.Log memory log) private {
        BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
        (address token, uint256 amount) = abi.decode(log.data, (address, uint256));
        uint256 t = _tokenIndex(token);
        ghost.slashedUsdE8 += _usd(t, amount);
        tokenGhosts[token].bondsSlashed += amount;
        bondGhosts[ghost.provider][token].slashed += amount;
        if (token != ghost.token) ++stats.crossTokenSlashes;
        if (!ghost.providerFault) ++slashesWithoutFault;
        uint256 wanted = (ghost.deposit * escrow.settings().bondSlashBps) / BPS;
        if (ghost.slashedUsdE8 > _usd(_tokenIndex(ghost.token), wanted)) {
            _violation("slash: took more than the slash share of the booking's value");
        }
        if (_topicAddress(log, 2) != ghost.provider || _topicAddress(log, 3) != ghost.consumer) {
            _violation("event: slash of someone else or to someone else");
        }
    }

    /// @dev Counts each (booking, period) settlement and checks its value and credit against the
    /// stream and against the terms and credit policy the handler saw the booking made under.
    function _processSettlement(Vm.Log memory log) private {
        uint256 bookingId = uint256(log.topics[1]);
        BookingGhost storage ghost = bookingGhosts[bookingId];
        if (_topicAddress(log, 2) != ghost.consumer || _topicAddress(log, 3) != ghost.provider) {
            _violation("event: settlement names another consumer or provider");
        }
        (uint32 firstPeriod, uint256[] memory figures, uint256[] memory amounts) = abi.decode(
            log.data,
            (uint32, uint256[], uint256[])
        );
        if (figures.length == 0) _violation("event: a settlement of no periods");
        if (amounts.length != figures.length) _violation("event: lists of different lengths");
        RangeTally memory tally;
        for (uint256 i = 0; i < figures.length; ++i) {
            if (figures[i] >> 97 != 0) _violation("event: figures beyond bit 96");
            _processPeriod(bookingId, firstPeriod + i, _unpack(figures[i], amounts[i]), tally);
        }
        _recordRange(ghost, tally);
    }

    /// @dev A settled period from SlaPeriodsSettled's lists, its figures unpacked as the event's
    /// NatSpec lays them out.
    function _unpack(uint256 figures, uint256 amounts) private pure returns (SettledPeriod memory) {
        return
            SettledPeriod({
                uptimeBps: uint16(figures),
                p95LatencyMs: uint32(figures >> 16),
                sampleCount: uint32(figures >> 48),
                creditBps: uint16(figures >> 80),
                compliant: (figures >> 96) & 1 == 1,
                value: uint128(amounts),
                credit: amounts >> 128
            });
    }

    function _processPeriod(
        uint256 bookingId,
        uint256 period,
        SettledPeriod memory settled,
        RangeTally memory tally
    ) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        uint256 settlements = ++settlementCount[bookingId][period];
        if (settlements > maxSettlementsPerPeriod) maxSettlementsPerPeriod = settlements;
        ++settlementsOf[bookingId];
        (bool expectedCompliant, uint16 expectedCreditBps) = _creditPolicy(
            settled.uptimeBps,
            settled.p95LatencyMs,
            ghost
        );
        if (settled.value != _expectedPeriodValue(bookingId, period)) {
            _violation("sla: period value differs from the stream");
        }
        if (settled.compliant != expectedCompliant || settled.creditBps != expectedCreditBps) {
            ++bookedTermsMismatches;
            _violation("sla: settled by other terms or another credit policy than booked");
        }
        if (settled.credit != (settled.value * settled.creditBps) / BPS) {
            _violation("sla: credit is not its share of the period");
        }
        // A settled period counts in reputation if it is worth the minimum; a report's counted
        // periods are valued together.
        uint256 t = _tokenIndex(ghost.token);
        if (!_priced(t) || _usd(t, settled.value) < reputation.minValueUsdE8()) return;
        if (settled.compliant) {
            ++tally.compliant;
            tally.compliantValue += settled.value;
        } else {
            ++tally.violated;
            tally.violatedValue += settled.value;
            tally.creditBpsTotal += settled.creditBps;
        }
    }

    function _recordRange(BookingGhost storage ghost, RangeTally memory tally) private {
        uint256 t = _tokenIndex(ghost.token);
        if (tally.compliant + tally.violated == 0) return;
        uint256 successUsd = _usd(t, tally.compliantValue);
        IReputationSystem.Record storage provider = providerGhosts[ghost.provider];
        provider.trialUsdE8 += uint128(successUsd + _usd(t, tally.violatedValue));
        provider.successUsdE8 += uint128(successUsd);
        provider.periodsCompliant += uint32(tally.compliant);
        provider.periodsViolated += uint32(tally.violated);
        provider.creditBpsTotal += uint64(tally.creditBpsTotal);
    }

    function _expectedPeriodValue(uint256 bookingId, uint256 period) private view returns (uint256) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        return
            bookingGhosts[bookingId].deposit.periodValue(
                uint256(stream.hoursBooked) * 1 hours,
                period,
                escrow.settings().slaPeriodSeconds,
                stream.endsAt - stream.startedAt
            );
    }

    /// @dev The two credit policies `govern` switches between, written out independently of
    /// SLAEnforcement: 0 is the deployed one (any miss 10 %, below 99 % 25 %, below 95 % all),
    /// 1 the alternative (any miss 5 %, below 90 % all).
    function _creditPolicy(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        BookingGhost storage ghost
    ) private view returns (bool compliant, uint16 creditBps) {
        compliant =
            uptimeBps >= ghost.uptimeTargetBps &&
            (ghost.maxLatencyMs == 0 || p95LatencyMs <= ghost.maxLatencyMs);
        if (compliant) return (true, 0);
        if (ghost.creditPolicy == 1) return (false, uptimeBps < 9_000 ? 10_000 : 500);
        if (uptimeBps < 9_500) return (false, 10_000);
        if (uptimeBps < 9_900) return (false, 2_500);
        return (false, 1_000);
    }

    // ---------------------------------------------------------------------------------------------
    // Bookings
    // ---------------------------------------------------------------------------------------------

    /// @dev After every action: statuses move only along the lifecycle, the escrow agrees with the
    /// marketplace, each booking keeps the terms and deadline it was made with, final statuses are
    /// remembered, and settled periods never go back.
    function _checkBookings() private {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            BookingGhost storage ghost = bookingGhosts[id];
            IResourceMarketplace.BookingStatus status = marketplace.getBooking(id).status;
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            if (!_isAllowedTransition(ghost.lastStatus, status)) _violation("lifecycle: invalid status transition");
            if (!_escrowAgrees(status, stream)) _violation("lifecycle: escrow state disagrees with the booking");
            if (stream.settledPeriods < ghost.lastSettledPeriods) _violation("sla: settled periods went back");
            (, , IResourceMarketplace.SlaTerms memory terms) = marketplace.bookedSlaTerms(id);
            if (terms.uptimeTargetBps != ghost.uptimeTargetBps || terms.maxLatencyMs != ghost.maxLatencyMs) {
                ++bookedTermsMismatches;
                _violation("terms: a booking's SLA terms changed after it was booked");
            }
            if (marketplace.provisionDeadline(id) != ghost.deadline) {
                _violation("timeout: a booking's provisioning deadline changed after it was booked");
            }
            if (ghost.terminalStatus == IResourceMarketplace.BookingStatus.None && _isFinal(status)) {
                ghost.terminalStatus = status;
                ghost.terminalEndsAt = stream.endsAt;
            }
            ghost.lastStatus = status;
            ghost.lastSettledPeriods = stream.settledPeriods;
        }
    }

    /// @dev Whether `to` can follow `from` in the lifecycle, in one step or several (an action may
    /// book and confirm at once).
    function _isAllowedTransition(
        IResourceMarketplace.BookingStatus from,
        IResourceMarketplace.BookingStatus to
    ) private pure returns (bool) {
        if (from == to) return true;
        if (from == IResourceMarketplace.BookingStatus.None) return true;
        if (from == IResourceMarketplace.BookingStatus.Requested) return to != IResourceMarketplace.BookingStatus.None;
        if (from == IResourceMarketplace.BookingStatus.Active) {
            return
                to == IResourceMarketplace.BookingStatus.Completed ||
                to == IResourceMarketplace.BookingStatus.Terminated;
        }
        return false;
    }

    function _escrowAgrees(
        IResourceMarketplace.BookingStatus status,
        IEscrowManager.Stream memory stream
    ) private view returns (bool) {
        if (status == IResourceMarketplace.BookingStatus.Requested) {
            return stream.state == IEscrowManager.StreamState.None;
        }
        if (status == IResourceMarketplace.BookingStatus.Cancelled) {
            return stream.state == IEscrowManager.StreamState.Refunded;
        }
        if (status == IResourceMarketplace.BookingStatus.Terminated) {
            return stream.state == IEscrowManager.StreamState.Stopped;
        }
        if (status == IResourceMarketplace.BookingStatus.Active) {
            return stream.state == IEscrowManager.StreamState.Streaming;
        }
        if (status == IResourceMarketplace.BookingStatus.Completed) {
            return stream.state == IEscrowManager.StreamState.Closed && currentTime >= stream.endsAt;
        }
        return true;
    }

    function _isFinal(IResourceMarketplace.BookingStatus status) private pure returns (bool) {
        return
            status == IResourceMarketplace.BookingStatus.Completed ||
            status == IResourceMarketplace.BookingStatus.Cancelled ||
            status == IResourceMarketplace.BookingStatus.Terminated;
    }

    function _topicAddress(Vm.Log memory log, uint256 index) private pure returns (address) {
        return address(uint160(uint256(log.topics[index])));
    }
}
