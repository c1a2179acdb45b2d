// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISLAEnforcement
/// @notice Accepts SLA period reports signed (EIP-712) by a quorum of registered oracle signers,
/// settles each (booking, period) once in the EscrowManager, credits the consumer by tier when the
/// period missed the resource's SLA, and records the outcome in the provider's reputation.
interface ISLAEnforcement {
    /// @notice What oracles measured over one SLA period of a booking.
    /// @param period Index of the period from the booking's start (0-based).
    /// @param uptimeBps Share of probes that succeeded, in basis points.
    /// @param p95LatencyMs 95th percentile of probe latency.
    /// @param sampleCount Number of probes.
    struct SlaReport {
        uint256 bookingId;
        uint32 period;
        uint16 uptimeBps;
        uint32 p95LatencyMs;
        uint32 sampleCount;
    }

    /// @notice A credit tier: periods with uptime below `uptimeBelowBps` earn `creditBps` of their value.
    struct CreditTier {
        uint16 uptimeBelowBps;
        uint16 creditBps;
    }

    /// @notice Emitted when a period is settled.
    /// @param compliant Whether the period met the resource's SLA.
    /// @param creditBps Credit in basis points of the period's value.
    /// @param periodValue Value of the period, in the booking's token.
    /// @param credit Amount credited to the consumer.
    event SlaPeriodSettled(
        uint256 indexed bookingId,
        uint32 indexed period,
        address indexed provider,
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint32 sampleCount,
        bool compliant,
        uint16 creditBps,
        uint256 periodValue,
        uint256 credit
    );
    /// @notice Emitted when an oracle signer is added.
    event OracleSignerAdded(address indexed signer);
    /// @notice Emitted when an oracle signer is removed.
    event OracleSignerRemoved(address indexed signer);
    /// @notice Emitted when the number of signatures a report needs changes.
    event QuorumUpdated(uint16 quorum);
    /// @notice Emitted when the credit policy changes.
    /// @param baseCreditBps Credit for any period that misses the SLA (uptime below the resource's
    /// target, or p95 latency above its limit).
    event CreditPolicyUpdated(uint16 baseCreditBps, CreditTier[] tiers);

    /// @notice `reports` and `signatures` differ in length.
    error SlaLengthMismatch(uint256 reports, uint256 signatures);
    /// @notice A report with uptime above 100 % or no samples.
    error SlaInvalidReport(uint256 bookingId, uint32 period);
    /// @notice A signature from an address that is not a registered oracle signer.
    error SlaUnknownSigner(address signer);
    /// @notice The same signer signed twice.
    error SlaDuplicateSigner(address signer);
    /// @notice Signatures must be ordered by ascending signer address.
    error SlaSignersUnordered(address signer);
    /// @notice Fewer valid signatures than the quorum.
    error SlaQuorumNotReached(uint256 bookingId, uint32 period, uint256 signatures, uint256 quorum);
    /// @notice The signer is already registered.
    error SlaSignerExists(address signer);
    /// @notice The signer is not registered.
    error SlaSignerMissing(address signer);
    /// @notice A quorum of zero or above the number of signers.
    error SlaInvalidQuorum(uint256 quorum, uint256 signers);
    /// @notice Credit tiers that are not strictly decreasing in uptime and increasing in credit, or
    /// credits above 100 %.
    error SlaInvalidCreditPolicy();

    /// @notice Verifies and settles SLA period reports. Anyone may submit signed reports.
    /// @param signatures For each report, its signatures ordered by ascending signer address.
    /// @return settled Number of reports settled (periods already settled are skipped).
    function submitReports(
        SlaReport[] calldata reports,
        bytes[][] calldata signatures
    ) external returns (uint256 settled);

    /// @notice Registers an oracle signer.
    function addOracleSigner(address signer) external;

    /// @notice Removes an oracle signer; the quorum must stay reachable.
    function removeOracleSigner(address signer) external;

    /// @notice Sets how many distinct signers a report needs.
    function setQuorum(uint16 quorum) external;

    /// @notice Sets the credit policy.
    /// @param tiers Ordered by strictly decreasing `uptimeBelowBps` and increasing `creditBps`.
    function setCreditPolicy(uint16 baseCreditBps, CreditTier[] calldata tiers) external;

    /// @notice EIP-712 digest oracles sign for `report`.
    function reportDigest(SlaReport calldata report) external view returns (bytes32);

    /// @notice Credit, in basis points of the period's value, for the measured figures against an SLA.
    function creditFor(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint16 uptimeTargetBps,
        uint32 maxLatencyMs
    ) external view returns (bool compliant, uint16 creditBps);

    /// @notice Whether `signer` is a registered oracle signer.
    function isOracleSigner(address signer) external view returns (bool);

    /// @notice Number of registered oracle signers.
    function oracleSignerCount() external view returns (uint256);

    /// @notice Signatures a report needs.
    function quorum() external view returns (uint16);

    /// @notice The credit policy.
    function creditPolicy() external view returns (uint16 baseCreditBps, CreditTier[] memory tiers);
}
