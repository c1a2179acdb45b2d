// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IReputationSystem
/// @notice Each provider's public record: completed and failed bookings, SLA periods compliant and
/// violated, credits paid, ratings, and a score: the lower bound of a 95 % Wilson interval over
/// those outcomes, each weighted by its value in USD. Only the marketplace and the SLA contract
/// record outcomes.
/// @dev Value weighting makes reputation cost what it is worth: a trial counts in units of the
/// DAO-set minimum value, so a provider (or its sybils) earns a record only by having real value
/// go through the escrow. Periods and ratings of bookings worth less than the minimum are ignored,
/// so dust bookings earn nothing; a failed booking counts at least one unit.
interface IReputationSystem {
    /// @notice A provider's record. Two storage slots: the counts, then the weighted totals.
    /// @param bookingsCompleted Bookings that ran to their end.
    /// @param bookingsFailed Bookings the provider failed: provisioning timed out, or the provider terminated.
    /// @param periodsCompliant SLA periods, worth at least the minimum value, that met the booked SLA.
    /// @param periodsViolated SLA periods, worth at least the minimum value, that did not.
    /// @param ratingsCount Ratings received.
    /// @param ratingsSum Sum of the ratings received (each 1–5).
    /// @param creditBpsTotal Sum of the credits paid for counted periods, each in basis points of
    /// its period's value (10 000 = one period refunded in full).
    /// @param successUsdE8 Weighted successes: the value of compliant periods, plus each rated
    /// booking's value times (score − 1) / 4.
    /// @param trialUsdE8 Weighted trials: the value of counted periods and rated bookings, plus four
    /// times the value of each failed booking (at least the minimum value).
    struct Record {
        uint32 bookingsCompleted;
        uint32 bookingsFailed;
        uint32 periodsCompliant;
        uint32 periodsViolated;
        uint32 ratingsCount;
        uint32 ratingsSum;
        uint64 creditBpsTotal;
        uint128 successUsdE8;
        uint128 trialUsdE8;
    }

    /// @notice Emitted whenever a provider's record changes, with the new record and score.
    event ReputationUpdated(address indexed provider, Record record, uint16 scoreBps);
    /// @notice Emitted when a consumer rates the provider of one of their bookings.
    /// @param usdValueE8 The booking's value, which weights the rating.
    event ProviderRated(
        address indexed provider,
        uint256 indexed bookingId,
        address indexed consumer,
        uint8 score,
        uint256 usdValueE8
    );
    /// @notice Emitted when the DAO changes the minimum value (also the unit of the score's trials).
    event MinValueUpdated(uint64 minValueUsdE8);

    /// @notice A rating outside 1–5.
    error ReputationInvalidScore(uint8 score);
    /// @notice The booking has already been rated.
    error ReputationAlreadyRated(uint256 bookingId);
    /// @notice The booking is worth less than the minimum value, so its rating would not count.
    error ReputationBookingTooSmall(uint256 bookingId, uint256 usdValueE8, uint256 minValueUsdE8);
    /// @notice A minimum value outside $0.0001 – $1,000.
    error ReputationInvalidMinValue(uint64 minValueUsdE8);

    /// @notice Records settled SLA periods of `provider`, each worth at least the minimum value.
    /// @param creditBpsTotal Sum of the credits paid for the violated periods, each in basis points
    /// of its period's value.
    /// @param compliantUsdE8 Total USD value of the compliant periods.
    /// @param violatedUsdE8 Total USD value of the violated periods.
    function recordPeriods(
        address provider,
        uint32 compliant,
        uint32 violated,
        uint64 creditBpsTotal,
        uint256 compliantUsdE8,
        uint256 violatedUsdE8
    ) external;

    /// @notice Records a booking of `provider` that ran to its end.
    function recordBookingCompleted(address provider) external;

    /// @notice Records a booking `provider` failed (no provisioning in time, or provider termination).
    /// @param usdValueE8 The booking's value (0 if it could not be priced: it counts at the minimum).
    function recordBookingFailed(address provider, uint256 usdValueE8) external;

    /// @notice Records `consumer`'s rating (1–5) of `provider` for `bookingId`; once per booking, and
    /// only for bookings worth at least the minimum value.
    function recordRating(
        address provider,
        uint256 bookingId,
        address consumer,
        uint8 score,
        uint256 usdValueE8
    ) external;

    /// @notice Sets the minimum value of a counted period or rated booking, which is also the unit
    /// the score counts trials in. DAO only.
    function setMinValue(uint64 minValueUsdE8) external;

    /// @notice The record of `provider`.
    function recordOf(address provider) external view returns (Record memory);

    /// @notice The reputation score of `provider` in basis points (0–10 000).
    function scoreOf(address provider) external view returns (uint16);

    /// @notice Whether `bookingId` has been rated.
    function isRated(uint256 bookingId) external view returns (bool);

    /// @notice The minimum value (USD, 8 decimals) of a counted period or rated booking.
    function minValueUsdE8() external view returns (uint64);
}
