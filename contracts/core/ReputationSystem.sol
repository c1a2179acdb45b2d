// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {WilsonScore} from "../libraries/WilsonScore.sol";

/// @title ReputationSystem
/// @notice Public provider records and their value-weighted Wilson lower-bound score.
/// @dev The score treats every outcome as trials worth its USD value, in units of the minimum
/// value: an SLA period (successes when compliant), a rating (a success of (score − 1) / 4 of the
/// booking's value), and a failed booking (FAILED_BOOKING_WEIGHT times its value, since a no-show or
/// a provider termination costs the consumer the whole booking). For equal success rates a bigger
/// volume scores higher, so a sybil that spends less than an honest provider's volume cannot outrank
/// it on an equal record.
contract ReputationSystem is IReputationSystem, ManagedUpgradeable {
    /// @notice Role of the contracts that record outcomes (marketplace and SLA enforcement).
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    /// @notice Trials counted for one failed booking, in units of its value.
    uint256 public constant FAILED_BOOKING_WEIGHT = 4;
    /// @notice Minimum value until the DAO sets one: one cent.
    uint64 public constant DEFAULT_MIN_VALUE_USD_E8 = 1e6;
    uint64 private constant LOWEST_MIN_VALUE_USD_E8 = 1e4;
    uint64 private constant HIGHEST_MIN_VALUE_USD_E8 = 1e11;
    uint256 private constant RATING_STEPS = 4;

    /// @custom:storage-location erc7201:dcloudx.storage.Reputation
    struct ReputationStorage {
        mapping(address provider => Record) records;
        mapping(uint256 bookingId => bool) rated;
        uint64 minValueUsdE8;
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
        uint64 creditBpsTotal,
        uint256 compliantUsdE8,
        uint256 violatedUsdE8
    ) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        record.periodsCompliant += compliant;
        record.periodsViolated += violated;
        record.creditBpsTotal += creditBpsTotal;
        _weigh(record, compliantUsdE8, compliantUsdE8 + violatedUsdE8);
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordBookingCompleted(address provider) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        ++record.bookingsCompleted;
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordBookingFailed(address provider, uint256 usdValueE8) external onlyRole(RECORDER_ROLE) {
        Record storage record = _getReputationStorage().records[provider];
        ++record.bookingsFailed;
        uint256 minValue = _minValue(_getReputationStorage());
        _weigh(record, 0, FAILED_BOOKING_WEIGHT * (usdValueE8 > minValue ? usdValueE8 : minValue));
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function recordRating(
        address provider,
        uint256 bookingId,
        address consumer,
        uint8 score,
        uint256 usdValueE8
    ) external onlyRole(RECORDER_ROLE) {
        if (score < 1 || score > 5) revert ReputationInvalidScore(score);
        ReputationStorage storage $ = _getReputationStorage();
        if ($.rated[bookingId]) revert ReputationAlreadyRated(bookingId);
        uint256 minValue = _minValue($);
        if (usdValueE8 < minValue) revert ReputationBookingTooSmall(bookingId, usdValueE8, minValue);
        $.rated[bookingId] = true;
        Record storage record = $.records[provider];
        ++record.ratingsCount;
        record.ratingsSum += score;
        _weigh(record, (usdValueE8 * (score - 1)) / RATING_STEPS, usdValueE8);
        emit ProviderRated(provider, bookingId, consumer, score, usdValueE8);
        _emitUpdate(provider, record);
    }

    /// @inheritdoc IReputationSystem
    function setMinValue(uint64 minValueUsdE8_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (minValueUsdE8_ < LOWEST_MIN_VALUE_USD_E8 || minValueUsdE8_ > HIGHEST_MIN_VALUE_USD_E8) {
            revert ReputationInvalidMinValue(minValueUsdE8_);
        }
        _getReputationStorage().minValueUsdE8 = minValueUsdE8_;
        emit MinValueUpdated(minValueUsdE8_);
    }

    /// @inheritdoc IReputationSystem
    function recordOf(address provider) external view returns (Record memory) {
        return _getReputationStorage().records[provider];
    }

    /// @inheritdoc IReputationSystem
    function scoreOf(address provider) external view returns (uint16) {
        ReputationStorage storage $ = _getReputationStorage();
        return _score($.records[provider], _minValue($));
    }

    /// @inheritdoc IReputationSystem
    function isRated(uint256 bookingId) external view returns (bool) {
        return _getReputationStorage().rated[bookingId];
    }

    /// @inheritdoc IReputationSystem
    function minValueUsdE8() external view returns (uint64) {
        return uint64(_minValue(_getReputationStorage()));
    }

    function _weigh(Record storage record, uint256 successUsdE8, uint256 trialUsdE8) private {
        record.successUsdE8 += SafeCast.toUint128(successUsdE8);
        record.trialUsdE8 += SafeCast.toUint128(trialUsdE8);
    }

    function _emitUpdate(address provider, Record memory record) private {
        emit ReputationUpdated(provider, record, _score(record, _minValue(_getReputationStorage())));
    }

    function _minValue(ReputationStorage storage $) private view returns (uint256) {
        uint256 minValue = $.minValueUsdE8;
        return minValue == 0 ? DEFAULT_MIN_VALUE_USD_E8 : minValue;
    }

    function _score(Record memory record, uint256 unitUsdE8) private pure returns (uint16) {
        return uint16(WilsonScore.lowerBoundBps(record.successUsdE8, record.trialUsdE8, unitUsdE8));
    }
}
