// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {WilsonScore} from "../libraries/WilsonScore.sol";

/// @title ReputationSystem
/// @notice Public provider records and their Wilson lower-bound score.
/// @dev The score treats every outcome as a trial: an SLA period (success when compliant), a rating
/// (a success of (score − 1) / 4), and a failed booking (FAILED_BOOKING_WEIGHT failed trials, since a
/// no-show or a provider termination costs the consumer the whole booking). Counts are kept in
/// quarter trials so ratings stay integral.
contract ReputationSystem is IReputationSystem, ManagedUpgradeable {
    /// @notice Role of the contracts that record outcomes (marketplace and SLA enforcement).
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    /// @notice Failed trials counted for one failed booking.
    uint256 public constant FAILED_BOOKING_WEIGHT = 4;
    uint256 private constant QUARTERS = 4;

    /// @custom:storage-location erc7201:dcloudx.storage.Reputation
    struct ReputationStorage {
        mapping(address provider => Record) records;
        mapping(uint256 bookingId => bool) rated;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.Reputation")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x071e7fb0ab5108da030efc075fe6c8197736a62aeb6f61bd3434f99a111d6400;

    function _getReputationStorage() private pure returns (ReputationStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    function initialize(address admin) external initializer {
        __Managed_init(admin);
    }

    /// @inheritdoc IReputationSystem
    function recordPeriods(
        address provider,
        uint32 compliant,
        uint32 violated,
        uint64 creditBpsTotal
    ) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        record.periodsCompliant += compliant;
        record.periodsViolated += violated;
        record.creditBpsTotal += creditBpsTotal;
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordBookingCompleted(address provider) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        ++record.bookingsCompleted;
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordBookingFailed(address provider) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        ++record.bookingsFailed;
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordRating(
        address provider,
        uint256 bookingId,
        address consumer,
        uint8 score
    ) external onlyRole(RECORDER_ROLE) {
        if (score < 1 || score > 5) revert ReputationInvalidScore(score);
        ReputationStorage storage $ = _getReputationStorage();
        if ($.rated[bookingId]) revert ReputationAlreadyRated(bookingId);
        $.rated[bookingId] = true;
        Record storage record = $.records[provider];
        ++record.ratingsCount;
        record.ratingsSum += score;
        emit ProviderRated(provider, bookingId, consumer, score);
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordOf(address provider) external view returns (Record memory) {
        return _getReputationStorage().records[provider];
    }

    /// @inheritdoc IReputationSystem
    function scoreOf(address provider) external view returns (uint16) {
        return _score(_getReputationStorage().records[provider]);
    }

    /// @inheritdoc IReputationSystem
    function isRated(uint256 bookingId) external view returns (bool) {
        return _getReputationStorage().rated[bookingId];
    }

    function _emitUpdate(address provider, Record memory record) private {
        emit ReputationUpdated(provider, record, _score(record));
    }

    function _score(Record memory record) private pure returns (uint16) {
        uint256 successes = QUARTERS * record.periodsCompliant + record.ratingsSum - record.ratingsCount;
        uint256 trials =
            QUARTERS *
                (uint256(record.periodsCompliant) +
                    record.periodsViolated +
                    record.ratingsCount +
                    FAILED_BOOKING_WEIGHT * record.bookingsFailed);
        return uint16(WilsonScore.lowerBoundBps(successes, trials, QUARTERS));
    }
}
