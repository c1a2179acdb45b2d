// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IDCXToken} from "../interfaces/IDCXToken.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {PriceMath} from "../libraries/PriceMath.sol";

/// @title RewardDistributor
/// @notice Mints DCX to providers for SLA-compliant service, epoch by epoch.
/// @dev Each provider keeps the points (and the cap) of one epoch pending; they turn into rewards
/// when the provider next earns or claims in a later epoch, so every operation is O(1). Shares are
/// rounded down, so an epoch never pays out more than its emission.
contract RewardDistributor is IRewardDistributor, ManagedUpgradeable {
    /// @notice Role of the contract that reports compliant service: SLA enforcement.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_EPOCH_SECONDS = 1 minutes;
    uint256 private constant MAX_EPOCH_SECONDS = 30 days;
    /// @dev Bounds the emission of an epoch well inside uint128.
    uint256 private constant MAX_RATE_PER_SECOND = 1e24;

    /// @dev A provider's rewards: finished epochs' rewards, and points in `epoch` with the most
    /// they may turn into (the fee cap, in DCX).
    struct Account {
        uint64 epoch;
        uint128 points;
        uint256 accrued;
        uint256 capDcx;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.Rewards
    struct RewardsStorage {
        IDCXToken token;
        uint64 startTime;
        uint32 epochSeconds;
        IReputationSystem reputation;
        IPriceOracle priceOracle;
        uint256 ratePerSecond;
        uint256 totalEmitted;
        uint256 totalClaimed;
        mapping(uint256 epoch => Epoch) epochs;
        mapping(address provider => Account) accounts;
        uint16 rewardPerFeeBps;
        /// @dev Emission that fee caps left unpaid; it never will be, so it frees room under the cap.
        uint256 totalForfeited;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.Rewards")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa0e59dd1365859a23c122844d326fbc6a895344047045a32fd63885cdac0d300;

    function _getRewardsStorage() private pure returns (RewardsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy. Epoch 0 starts now.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    /// @param rewardPerFeeBps_ The most a provider's rewards may be worth, in basis points of its fees.
    function initialize(
        address admin,
        IDCXToken token,
        IReputationSystem reputation,
        IPriceOracle oracle,
        uint32 epochLengthSeconds,
        uint256 ratePerSecond,
        uint16 rewardPerFeeBps_
    ) external initializer {
        __Managed_init(admin);
        if (address(token) == address(0) || address(reputation) == address(0) || address(oracle) == address(0)) {
            revert ManagedZeroAddress();
        }
        if (epochLengthSeconds < MIN_EPOCH_SECONDS || epochLengthSeconds > MAX_EPOCH_SECONDS) {
            revert RewardsInvalidEpochLength(epochLengthSeconds);
        }
        RewardsStorage storage $ = _getRewardsStorage();
        $.token = token;
        $.reputation = reputation;
        $.priceOracle = oracle;
        $.startTime = uint64(block.timestamp);
        $.epochSeconds = epochLengthSeconds;
        _setEmissionRate($, ratePerSecond);
        _setRewardPerFee($, rewardPerFeeBps_);
    }

    /// @inheritdoc IRewardDistributor
    function recordService(address provider, uint256 usdE8, uint256 feeUsdE8) external onlyRole(RECORDER_ROLE) {
        RewardsStorage storage $ = _getRewardsStorage();
        uint16 reputationBps = $.reputation.scoreOf(provider);
        uint256 points = (usdE8 * (BPS + reputationBps)) / (2 * BPS);
        uint256 capDcx = _feeInDcx($, (feeUsdE8 * $.rewardPerFeeBps) / BPS);
        if (points == 0 || capDcx == 0) return;

        uint256 index = _currentEpoch($);
        Epoch storage epoch = $.epochs[index];
        if (epoch.points == 0) _openEpoch($, epoch, index);
        epoch.points += SafeCast.toUint128(points);

        Account storage account = $.accounts[provider];
        _settleAccount($, account, index);
        account.points += SafeCast.toUint128(points);
        account.capDcx += capDcx;
        emit ServiceRecorded(provider, index, usdE8, feeUsdE8, reputationBps, points, capDcx);
    }

    /// @inheritdoc IRewardDistributor
    function claim() external returns (uint256 amount) {
        RewardsStorage storage $ = _getRewardsStorage();
        Account storage account = $.accounts[msg.sender];
        _settleAccount($, account, _currentEpoch($));
        amount = account.accrued;
        if (amount == 0) revert RewardsNothingToClaim(msg.sender);
        account.accrued = 0;
        $.totalClaimed += amount;
        emit RewardsClaimed(msg.sender, amount);
        $.token.mint(msg.sender, amount);
    }

    /// @inheritdoc IRewardDistributor
    function setEmissionRate(uint256 ratePerSecond) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setEmissionRate(_getRewardsStorage(), ratePerSecond);
    }

    /// @inheritdoc IRewardDistributor
    function setRewardPerFee(uint16 rewardPerFeeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRewardPerFee(_getRewardsStorage(), rewardPerFeeBps_);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRewardDistributor
    function claimable(address provider) external view returns (uint256) {
        RewardsStorage storage $ = _getRewardsStorage();
        Account memory account = $.accounts[provider];
        if (account.epoch == _currentEpoch($)) return account.accrued;
        (uint256 share, ) = _shareOf($, account);
        return account.accrued + share;
    }

    /// @inheritdoc IRewardDistributor
    function currentEpoch() external view returns (uint256) {
        return _currentEpoch(_getRewardsStorage());
    }

    /// @inheritdoc IRewardDistributor
    function epochOf(uint256 index) external view returns (Epoch memory) {
        return _getRewardsStorage().epochs[index];
    }

    /// @inheritdoc IRewardDistributor
    function emissionRate() external view returns (uint256) {
        return _getRewardsStorage().ratePerSecond;
    }

    /// @inheritdoc IRewardDistributor
    function rewardPerFeeBps() external view returns (uint16) {
        return _getRewardsStorage().rewardPerFeeBps;
    }

    /// @inheritdoc IRewardDistributor
    function epochSeconds() external view returns (uint256) {
        return _getRewardsStorage().epochSeconds;
    }

    /// @inheritdoc IRewardDistributor
    function totalEmitted() external view returns (uint256) {
        return _getRewardsStorage().totalEmitted;
    }

    /// @inheritdoc IRewardDistributor
    function totalClaimed() external view returns (uint256) {
        return _getRewardsStorage().totalClaimed;
    }

    /// @inheritdoc IRewardDistributor
    function totalForfeited() external view returns (uint256) {
        return _getRewardsStorage().totalForfeited;
    }

    /// @inheritdoc IRewardDistributor
    function priceOracle() external view returns (IPriceOracle) {
        return _getRewardsStorage().priceOracle;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _currentEpoch(RewardsStorage storage $) private view returns (uint256) {
        return (block.timestamp - $.startTime) / $.epochSeconds;
    }

    /// @dev Fixes the emission of an epoch at its first service, within what the cap leaves after
    /// the supply and every earlier epoch's emission not yet claimed nor forfeited (only this
    /// contract mints after deployment).
    function _openEpoch(RewardsStorage storage $, Epoch storage epoch, uint256 index) private {
        uint256 unminted = $.totalEmitted - $.totalClaimed - $.totalForfeited;
        uint256 mintable = $.token.cap() - $.token.totalSupply();
        uint256 budget = mintable > unminted ? mintable - unminted : 0;
        uint256 emission = Math.min($.ratePerSecond * $.epochSeconds, budget);
        epoch.emission = uint128(emission);
        $.totalEmitted += emission;
        emit EpochOpened(index, emission);
    }

    /// @dev Turns the account's points into rewards once their epoch is over.
    function _settleAccount(RewardsStorage storage $, Account storage account, uint256 index) private {
        if (account.epoch == index) return;
        if (account.points != 0) {
            (uint256 share, uint256 forfeited) = _shareOf($, account);
            account.accrued += share;
            $.totalForfeited += forfeited;
            account.points = 0;
            account.capDcx = 0;
        }
        account.epoch = uint64(index);
    }

    /// @dev The account's share of its epoch's emission up to its fee cap, and what the cap cut off.
    function _shareOf(
        RewardsStorage storage $,
        Account memory account
    ) private view returns (uint256 share, uint256 forfeited) {
        if (account.points == 0) return (0, 0);
        Epoch memory epoch = $.epochs[account.epoch];
        uint256 proRata = Math.mulDiv(account.points, epoch.emission, epoch.points);
        share = Math.min(proRata, account.capDcx);
        forfeited = proRata - share;
    }

    /// @dev DCX worth at most `usdE8` at the oracle's DCX price, or 0 if DCX cannot be priced right
    /// now (the service then earns nothing, never too much).
    function _feeInDcx(RewardsStorage storage $, uint256 usdE8) private view returns (uint256) {
        if (usdE8 == 0) return 0;
        try $.priceOracle.usdPrice(address($.token)) returns (IPriceOracle.UsdPrice memory price) {
            return PriceMath.usdToTokenFloor(usdE8, price.answer, price.feedDecimals, price.tokenDecimals);
        } catch {
            return 0;
        }
    }

    function _setRewardPerFee(RewardsStorage storage $, uint16 rewardPerFeeBps_) private {
        if (rewardPerFeeBps_ > BPS) revert RewardsInvalidRewardPerFee(rewardPerFeeBps_);
        $.rewardPerFeeBps = rewardPerFeeBps_;
        emit RewardPerFeeUpdated(rewardPerFeeBps_);
    }

    function _setEmissionRate(RewardsStorage storage $, uint256 ratePerSecond) private {
        if (ratePerSecond > MAX_RATE_PER_SECOND) revert RewardsInvalidRate(ratePerSecond, MAX_RATE_PER_SECOND);
        $.ratePerSecond = ratePerSecond;
        emit EmissionRateUpdated(ratePerSecond);
    }
}
