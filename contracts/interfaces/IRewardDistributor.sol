// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPriceOracle} from "./IPriceOracle.sol";

/// @title IRewardDistributor
/// @notice DCX rewards for providers. Time is cut into epochs of fixed length; the first service
/// recorded in an epoch fixes its emission (the DAO-set rate times the epoch length, within what
/// the token cap leaves). Each provider earns points for the USD value of SLA-compliant periods,
/// weighted by reputation (half weight at a score of zero, full weight at 100 %), and receives the
/// epoch's emission in proportion to its points once the epoch is over, but never more than
/// `rewardPerFeeBps` of the protocol fees its rewarded service pays, valued in DCX when recorded.
/// @dev The cap is what makes wash trading unprofitable: a provider booking its own resource from a
/// second address loses at least the protocol fee on what it books (paid when it withdraws, or the
/// whole amount if it never does), and can earn at most `rewardPerFeeBps` ≤ 100 % of that fee back,
/// whatever other providers do. Emission that caps leave unpaid is never minted, and once the
/// provider's epoch is settled it is counted in `totalForfeited` and made available to later epochs.
interface IRewardDistributor {
    /// @notice Points and emission of one epoch.
    struct Epoch {
        uint128 points;
        uint128 emission;
    }

    /// @notice Emitted when the first service of an epoch fixes its emission.
    event EpochOpened(uint256 indexed epoch, uint256 emission);
    /// @notice Emitted when compliant service earns a provider points.
    /// @param usdE8 USD value of the service (8 decimals).
    /// @param feeUsdE8 USD value of the protocol fee on it.
    /// @param reputationBps The provider's reputation score that weighted it.
    /// @param capDcx What the service added to the most the provider can earn this epoch.
    event ServiceRecorded(
        address indexed provider,
        uint256 indexed epoch,
        uint256 usdE8,
        uint256 feeUsdE8,
        uint16 reputationBps,
        uint256 points,
        uint256 capDcx
    );
    /// @notice Emitted when a provider claims its rewards.
    event RewardsClaimed(address indexed provider, uint256 amount);
    /// @notice Emitted when the DAO changes the emission rate.
    event EmissionRateUpdated(uint256 ratePerSecond);
    /// @notice Emitted when the DAO changes how much of its fees a provider's rewards may reach.
    event RewardPerFeeUpdated(uint16 rewardPerFeeBps);

    /// @notice The caller has no finished-epoch rewards to claim.
    error RewardsNothingToClaim(address provider);
    /// @notice An emission rate above the maximum.
    error RewardsInvalidRate(uint256 ratePerSecond, uint256 maxRatePerSecond);
    /// @notice An epoch length outside the accepted range.
    error RewardsInvalidEpochLength(uint256 epochSeconds);
    /// @notice Rewards above 100 % of the fees paid would make wash trading pay.
    error RewardsInvalidRewardPerFee(uint16 rewardPerFeeBps);

    /// @notice Records SLA-compliant service worth `usdE8` by `provider`, on which the protocol fee is
    /// worth `feeUsdE8`. SLA enforcement only.
    function recordService(address provider, uint256 usdE8, uint256 feeUsdE8) external;

    /// @notice Mints the caller's rewards from finished epochs to the caller.
    /// @return amount DCX minted.
    function claim() external returns (uint256 amount);

    /// @notice Sets the emission rate for epochs that have not recorded service yet. DAO only.
    function setEmissionRate(uint256 ratePerSecond) external;

    /// @notice Sets the most a provider's rewards may be worth, in basis points of the protocol fees
    /// its rewarded service pays (at most 10 000), for service recorded from now on. DAO only.
    function setRewardPerFee(uint16 rewardPerFeeBps) external;

    /// @notice Rewards `provider` can claim now (from finished epochs).
    function claimable(address provider) external view returns (uint256);

    /// @notice Index of the current epoch.
    function currentEpoch() external view returns (uint256);

    /// @notice Points and emission of `index`.
    function epochOf(uint256 index) external view returns (Epoch memory);

    /// @notice DCX emitted per second of an epoch with service.
    function emissionRate() external view returns (uint256);

    /// @notice The most a provider's rewards may be worth, in basis points of its fees.
    function rewardPerFeeBps() external view returns (uint16);

    /// @notice Length of an epoch.
    function epochSeconds() external view returns (uint256);

    /// @notice DCX allotted to epochs so far; claimed plus claimable plus forfeited never exceeds it.
    function totalEmitted() external view returns (uint256);

    /// @notice DCX allotted to epochs that fee caps kept from providers; it is never minted.
    function totalForfeited() external view returns (uint256);

    /// @notice DCX minted to providers so far.
    function totalClaimed() external view returns (uint256);

    /// @notice The price oracle that values service in USD.
    function priceOracle() external view returns (IPriceOracle);
}
