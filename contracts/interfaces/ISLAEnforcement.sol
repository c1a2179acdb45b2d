// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "./IEscrowManager.sol";
import {IQuorumSigned} from "./IQuorumSigned.sol";
import {IRewardDistributor} from "./IRewardDistributor.sol";

/// @title ISLAEnforcement
/// @notice Accepts SLA reports, each over consecutive periods of one booking, signed (EIP-712) by a
/// quorum of registered oracle signers,
/// settles each (booking, period) once in the EscrowManager by the SLA terms the booking was made
/// with and the credit policy in force when it was requested, credits the consumer by tier when the
/// period missed the SLA, records the outcome in the provider's reputation (weighted by its USD
/// value) and reports compliant service and the protocol fee on it to the reward distributor.
/// @dev The same signer set confirms provisioning and states consumer faults for the marketplace,
/// through `verifyStatement` (IQuorumSigned) over this contract's EIP-712 domain.
interface ISLAEnforcement is IQuorumSigned {
    /// @notice What oracles measured over consecutive SLA periods of a booking: one entry per period
    /// in each list, from `firstPeriod` on.
    /// @param firstPeriod Index of the first period from the booking's start (0-based).
    /// @param uptimeBps Share of probes that succeeded, in basis points.
    /// @param p95LatencyMs 95th percentile of probe latency.
    /// @param sampleCount Number of probes.
    struct SlaReport {
        uint256 bookingId;
        uint32 firstPeriod;
        uint16[] uptimeBps;
        uint32[] p95LatencyMs;
        uint32[] sampleCount;
    }

    /// @notice A credit tier: periods with uptime below `uptimeBelowBps` earn `creditBps` of their value.
    struct CreditTier {
        uint16 uptimeBelowBps;
        uint16 creditBps;
    }

    /// @notice Emitted when consecutive periods of a booking are settled, from `firstPeriod` on: one
    /// entry per period, in order, in each list.
    /// @param figures The figures reported for each period and what they earned, packed in one word:
    /// uptimeBps in bits 0–15, p95LatencyMs in bits 16–47, sampleCount in bits 48–79, creditBps (credit
    /// in basis points of the period's value) in bits 80–95, and bit 96 set when the period met the
    /// booked SLA.
    /// @param amounts For each period, its value (the low 128 bits) and the amount credited to the
    /// consumer (the high 128 bits), in the booking's token.
    event SlaPeriodsSettled(
        uint256 indexed bookingId,
        address indexed consumer,
        address indexed provider,
        uint32 firstPeriod,
        uint256[] figures,
        uint256[] amounts
    );
    /// @notice Emitted for `periodCount` consecutive reported periods, from `firstPeriod` on, that could
    /// not settle now; the rest of the report and of the batch settled.
    event SlaReportSkipped(
        uint256 indexed bookingId,
        uint32 firstPeriod,
        uint32 periodCount,
        IEscrowManager.SettleStatus status
    );
    /// @notice Emitted when the credit policy changes (for bookings requested from the next second on).
    /// @param baseCreditBps Credit for any period that misses the SLA (uptime below the booked
    /// target, or p95 latency above its limit).
    event CreditPolicyUpdated(uint16 baseCreditBps, CreditTier[] tiers);
    /// @notice Emitted when the reward distributor changes; zero turns rewards off.
    event RewardDistributorUpdated(address indexed rewards);
    /// @notice Emitted when the reward distributor refused a provider's compliant service;
    /// settlement goes on regardless.
    event RewardsNotRecorded(address indexed provider, uint256 usdE8, uint256 feeUsdE8);
    /// @notice Emitted when settled service could not be valued in USD (for instance while the
    /// token's price feed is stale), so it earns no rewards and does not count in reputation;
    /// settlement goes on regardless.
    /// @param value Settled value in `token` that went unvalued.
    event ServiceNotValued(address indexed provider, address indexed token, uint256 value);

    /// @notice `reports` and `signatures` differ in length.
    error SlaLengthMismatch(uint256 reports, uint256 signatures);
    /// @notice A report without periods, with lists of different lengths, or a period with uptime
    /// above 100 % or no samples (`period`: the first period at fault).
    error SlaInvalidReport(uint256 bookingId, uint256 period);
    /// @notice Credit tiers that are not strictly decreasing in uptime and increasing in credit, or
    /// credits above 100 %.
    error SlaInvalidCreditPolicy();
    /// @notice The transaction has too little gas left to give the price oracle, the reputation
    /// system or the reward distributor their full budget.
    error SlaInsufficientGas();

    /// @notice Verifies and settles SLA reports, each over consecutive periods of one booking. Anyone
    /// may submit signed reports. The periods of a report that cannot settle now (already settled,
    /// not ended, window closed, an earlier period still open) are skipped with `SlaReportSkipped`
    /// and the rest settle, in order; a malformed or under-signed report reverts.
    /// @param signatures For each report, its signatures ordered by ascending signer address.
    /// @return settled Number of periods settled.
    function submitReports(
        SlaReport[] calldata reports,
        bytes[][] calldata signatures
    ) external returns (uint256 settled);

    /// @notice Sets the credit policy for bookings requested from the next second on; earlier
    /// bookings keep theirs.
    /// @param tiers Ordered by strictly decreasing `uptimeBelowBps` and increasing `creditBps`.
    function setCreditPolicy(uint16 baseCreditBps, CreditTier[] calldata tiers) external;

    /// @notice Sets the reward distributor that compliant periods are reported to (zero: none). DAO only.
    function setRewardDistributor(IRewardDistributor rewards) external;

    /// @notice EIP-712 digest oracles sign for `report`.
    function reportDigest(SlaReport calldata report) external view returns (bytes32);

    /// @notice Credit, in basis points of the period's value, for the measured figures against an
    /// SLA under the current credit policy.
    function creditFor(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint16 uptimeTargetBps,
        uint32 maxLatencyMs
    ) external view returns (bool compliant, uint16 creditBps);

    /// @notice The current credit policy.
    function creditPolicy() external view returns (uint16 baseCreditBps, CreditTier[] memory tiers);

    /// @notice The credit policy a booking requested at `bookedAt` settles by.
    function creditPolicyAt(uint256 bookedAt) external view returns (uint16 baseCreditBps, CreditTier[] memory tiers);

    /// @notice The reward distributor, or zero.
    function rewardDistributor() external view returns (IRewardDistributor);
}
