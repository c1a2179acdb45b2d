// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IReputationSystem
/// @notice Each provider's public record: completed and failed bookings, SLA periods compliant and
/// violated, credits paid, ratings, and a score that is the lower bound of a 95 % Wilson interval
/// over those outcomes. Only the marketplace and the SLA contract record outcomes.
interface IReputationSystem {
    /// @notice A provider's record. Packed into one storage slot.
    /// @param bookingsCompleted Bookings that ran to their end.
    /// @param bookingsFailed Bookings the provider failed: provisioning timed out, or the provider terminated.
    /// @param periodsCompliant SLA periods that met the resource's SLA.
    /// @param periodsViolated SLA periods that did not.
    /// @param ratingsCount Ratings received.
    /// @param ratingsSum Sum of the ratings received (each 1–5).
    /// @param creditBpsTotal Sum of the credits paid, each in basis points of its period's value
    /// (10 000 = one period refunded in full).
    struct Record {
        uint32 bookingsCompleted;
        uint32 bookingsFailed;
        uint32 periodsCompliant;
        uint32 periodsViolated;
        uint32 ratingsCount;
        uint32 ratingsSum;
        uint64 creditBpsTotal;
    }

    /// @notice Emitted whenever a provider's record changes, with the new record and score.
    event ReputationUpdated(address indexed provider, Record record, uint16 scoreBps);
    /// @notice Emitted when a consumer rates the provider of one of their bookings.
    event ProviderRated(address indexed provider, uint256 indexed bookingId, address indexed consumer, uint8 score);

    /// @notice A rating outside 1–5.
    error ReputationInvalidScore(uint8 score);
    /// @notice The booking has already been rated.
    error ReputationAlreadyRated(uint256 bookingId);

    /// @notice Records settled SLA periods of `provider`.
    /// @param creditBpsTotal Sum of the credits paid for the violated periods, each in basis points
    /// of its period's value.
    function recordPeriods(address provider, uint32 compliant, uint32 violated, uint64 creditBpsTotal) external;

    /// @notice Records a booking of `provider` that ran to its end.
    function recordBookingCompleted(address provider) external;

    /// @notice Records a booking `provider` failed (no provisioning in time, or provider termination).
    function recordBookingFailed(address provider) external;

    /// @notice Records `consumer`'s rating (1–5) of `provider` for `bookingId`; once per booking.
    function recordRating(address provider, uint256 bookingId, address consumer, uint8 score) external;

    /// @notice The record of `provider`.
    function recordOf(address provider) external view returns (Record memory);

    /// @notice The reputation score of `provider` in basis points (0–10 000).
    function scoreOf(address provider) external view returns (uint16);

    /// @notice Whether `bookingId` has been rated.
    function isRated(uint256 bookingId) external view returns (bool);
}
