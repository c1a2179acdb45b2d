// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../contracts/interfaces/IResourceMarketplace.sol";
import {StreamMath} from "../../contracts/libraries/StreamMath.sol";
import {BookingGhost} from "./handlers/HandlerBase.sol";
import {InvariantBase} from "./InvariantBase.sol";

/// @title Booking invariants: lifecycle, SLA settlement and reputation
/// @notice Same handler as the escrow suite. After every call:
///
/// 1. Final statuses are final: a booking that was Completed, Cancelled or Terminated keeps that
///    status, and its stream keeps its end and its state (Streaming, Refunded, Stopped).
/// 2. Each (booking, period) settles at most once: no SlaPeriodsSettled entry repeats a pair, the
///    settled-period counter never goes back nor past the booking's period count, and there are
///    never more settlements of a booking than periods behind its counter.
/// 3. Reputation records exactly the outcomes that happened: completions, failures (provisioning
///    timeouts and provider terminations) weighing four times their value, compliant and violated
///    periods worth at least the minimum value with their credits and USD value, and ratings of
///    bookings worth at least that, per provider. Consumer faults change nothing.
/// 4. Settlement uses the booked terms: every booking keeps the SLA terms in force just before the
///    second it was booked and its provisioning deadline, whatever the provider or the DAO changed
///    since, and every period settled by those terms and the credit policy of that moment.
/// 5. The marketplace and the escrow agree on every booking: the same provider, amount, token and
///    duration, and a stream state that matches the booking's status.
/// 6. Every action behaves as specified, which the handler checks as it goes: valid bookings,
///    confirmations, cancellations, terminations, completions, ratings, SLA reports, withdrawals,
///    claims and bond operations go through, and move exactly the amounts the rules say; invalid
///    ones (late confirmation, early completion, someone else's booking, a batch with a bad
///    report or a foreign booking, a repeated rating) revert. Statuses only move forward along
///    the lifecycle, and the escrow's state of each booking always agrees with the marketplace's.
contract BookingInvariants is InvariantBase {
    function invariant_finalStatusesNeverChange() public view {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            BookingGhost memory ghost = handler.bookingGhost(id);
            if (ghost.terminalStatus == IResourceMarketplace.BookingStatus.None) continue;
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            assertEq(uint8(marketplace.getBooking(id).status), uint8(ghost.terminalStatus), "final status changed");
            assertEq(stream.endsAt, ghost.terminalEndsAt, "end of a finished booking changed");
            assertEq(
                uint8(stream.state),
                uint8(_streamStateOf(ghost.terminalStatus)),
                "stream of a finished booking changed"
            );
        }
    }

    function invariant_periodsSettleAtMostOnce() public view {
        uint256 count = marketplace.bookingCount();
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        for (uint256 id = 1; id <= count; ++id) {
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            uint256 periods = StreamMath.periodCount(stream.endsAt - stream.startedAt, periodSeconds);
            assertLe(stream.settledPeriods, periods, "settled past the last period");
            assertLe(handler.settlementsOf(id), stream.settledPeriods, "more settlements than settled periods");
            assertEq(handler.settlementCount(id, stream.settledPeriods), 0, "a period ahead of the counter settled");
        }
        assertLe(handler.maxSettlementsPerPeriod(), 1, "a period settled twice");
    }

    function invariant_reputationRecordsEveryOutcome() public view {
        address[] memory providers = handler.allProviders();
        for (uint256 i = 0; i < providers.length; ++i) {
            IReputationSystem.Record memory record = reputation.recordOf(providers[i]);
            IReputationSystem.Record memory ghost = handler.providerGhost(providers[i]);
            assertEq(record.bookingsCompleted, ghost.bookingsCompleted, "bookings completed");
            assertEq(record.bookingsFailed, ghost.bookingsFailed, "bookings failed");
            assertEq(record.periodsCompliant, ghost.periodsCompliant, "periods compliant");
            assertEq(record.periodsViolated, ghost.periodsViolated, "periods violated");
            assertEq(record.creditBpsTotal, ghost.creditBpsTotal, "credits");
            assertEq(record.ratingsCount, ghost.ratingsCount, "ratings");
            assertEq(record.ratingsSum, ghost.ratingsSum, "ratings sum");
            assertEq(record.successUsdE8, ghost.successUsdE8, "weighted successes");
            assertEq(record.trialUsdE8, ghost.trialUsdE8, "weighted trials");
        }
    }

    function invariant_settlementUsesTheBookedTerms() public view {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            BookingGhost memory ghost = handler.bookingGhost(id);
            (address consumer, , IResourceMarketplace.SlaTerms memory terms) = marketplace.bookedSlaTerms(id);
            assertEq(consumer, ghost.consumer, "booked consumer");
            assertEq(terms.uptimeTargetBps, ghost.uptimeTargetBps, "booked uptime target");
            assertEq(terms.maxLatencyMs, ghost.maxLatencyMs, "booked latency limit");
            assertEq(marketplace.provisionDeadline(id), ghost.deadline, "booked provisioning deadline");
        }
        assertEq(handler.bookedTermsMismatches(), 0, "a period settled by other terms than booked");
    }

    function invariant_marketplaceAndEscrowAgree() public view {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            IResourceMarketplace.Booking memory booking = marketplace.getBooking(id);
            IEscrowManager.Deposit memory deposit = escrow.depositOf(id);
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            assertEq(deposit.provider, marketplace.getResource(booking.resourceId).provider, "provider");
            assertEq(deposit.amount, handler.bookingGhost(id).deposit, "amount");
            assertEq(uint8(stream.state), uint8(_streamStateOf(booking.status)), "stream state");
            if (stream.state == IEscrowManager.StreamState.None) continue;
            if (stream.state == IEscrowManager.StreamState.Refunded) continue;
            assertEq(stream.tokenId, booking.tokenId, "token");
            assertEq(stream.hoursBooked, booking.hoursBooked, "hours");
        }
    }

    function invariant_actionsBehaveAsSpecified() public view {
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    function _streamStateOf(
        IResourceMarketplace.BookingStatus status
    ) private pure returns (IEscrowManager.StreamState) {
        if (status == IResourceMarketplace.BookingStatus.Requested) return IEscrowManager.StreamState.None;
        if (status == IResourceMarketplace.BookingStatus.Cancelled) return IEscrowManager.StreamState.Refunded;
        if (status == IResourceMarketplace.BookingStatus.Terminated) return IEscrowManager.StreamState.Stopped;
        if (status == IResourceMarketplace.BookingStatus.Completed) return IEscrowManager.StreamState.Closed;
        return IEscrowManager.StreamState.Streaming;
    }
}
