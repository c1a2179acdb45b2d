// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";

import {QuorumSigned} from "../access/QuorumSigned.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {ISLAEnforcement} from "../interfaces/ISLAEnforcement.sol";

/// @title SLAEnforcement
/// @notice Quorum-signed SLA period reports, settled in the EscrowManager and recorded in reputations.
/// @dev Signatures are EIP-712 over this contract's domain (name "D-CloudX SLA", version "1"), so
/// a signature for another chain or another deployment does not verify here.
contract SLAEnforcement is ISLAEnforcement, QuorumSigned, EIP712Upgradeable {
    /// @notice EIP-712 type hash of SlaReport.
    bytes32 public constant SLA_REPORT_TYPEHASH = keccak256(
        "SlaReport(uint256 bookingId,uint32 period,uint16 uptimeBps,uint32 p95LatencyMs,uint32 sampleCount)"
    );
    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_TIERS = 8;
    /// @dev Gas given to the price oracle and the reward distributor, well above what they need.
    /// The submitter picks the transaction's gas: each call gets its full budget or the batch
    /// reverts, so that a failure of these calls is never the submitter's doing.
    uint256 private constant PRICE_CALL_GAS = 100_000;
    uint256 private constant REWARDS_CALL_GAS = 200_000;
    /// @dev Covers the call itself (cold account access, memory) on top of the budget.
    uint256 private constant CALL_OVERHEAD_GAS = 5_000;

    /// @dev Period outcomes of one batch, per provider, recorded in reputations once per provider.
    /// Compliant value is summed per token and priced once per run of the same token, so a batch of
    /// one provider's bookings in one token costs a single price lookup.
    struct Outcomes {
        address[] providers;
        uint32[] compliant;
        uint32[] violated;
        uint64[] creditBpsTotal;
        uint256[] compliantUsdE8;
        address[] pendingToken;
        uint256[] pendingValue;
        uint256 count;
    }

    /// @dev How one period settled.
    struct Settlement {
        address provider;
        address token;
        uint256 periodValue;
        uint256 credit;
        bool compliant;
        uint16 creditBps;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.SLAEnforcement
    struct SLAStorage {
        IResourceMarketplace marketplace;
        uint16 baseCreditBps;
        IEscrowManager escrow;
        IReputationSystem reputation;
        CreditTier[] tiers;
        IRewardDistributor rewards;
        IPriceOracle priceOracle;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.SLAEnforcement")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x46f3515d36f33eee811183e1230bed730e31aa50a5862e4ee5d897aa7362c700;

    function _getSLAStorage() private pure returns (SLAStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    /// @param signers Initial oracle signers.
    /// @param initialQuorum Signatures a report needs.
    function initialize(
        address admin,
        IResourceMarketplace marketplace,
        IEscrowManager escrow,
        IReputationSystem reputation,
        address[] calldata signers,
        uint16 initialQuorum,
        uint16 baseCreditBps,
        CreditTier[] calldata tiers
    ) external initializer {
        __Managed_init(admin);
        __QuorumSigned_init(signers, initialQuorum);
        __EIP712_init("D-CloudX SLA", "1");
        if (address(marketplace) == address(0) || address(escrow) == address(0) || address(reputation) == address(0)) {
            revert ManagedZeroAddress();
        }
        SLAStorage storage $ = _getSLAStorage();
        $.marketplace = marketplace;
        $.escrow = escrow;
        $.reputation = reputation;
        _setCreditPolicy($, baseCreditBps, tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function submitReports(
        SlaReport[] calldata reports,
        bytes[][] calldata signatures
    ) external returns (uint256 settled) {
        if (reports.length != signatures.length) revert SlaLengthMismatch(reports.length, signatures.length);
        SLAStorage storage $ = _getSLAStorage();
        Outcomes memory outcomes = Outcomes({
            providers: new address[](reports.length),
            compliant: new uint32[](reports.length),
            violated: new uint32[](reports.length),
            creditBpsTotal: new uint64[](reports.length),
            compliantUsdE8: new uint256[](reports.length),
            pendingToken: new address[](reports.length),
            pendingValue: new uint256[](reports.length),
            count: 0
        });
        for (uint256 i = 0; i < reports.length; ++i) {
            if (_settle($, reports[i], signatures[i], outcomes)) ++settled;
        }
        for (uint256 i = 0; i < outcomes.count; ++i) {
            $.reputation.recordPeriods(
                outcomes.providers[i],
                outcomes.compliant[i],
                outcomes.violated[i],
                outcomes.creditBpsTotal[i]
            );
            _priceCompliantValue($, outcomes, i, address(0));
            _recordRewards($, outcomes.providers[i], outcomes.compliantUsdE8[i]);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ISLAEnforcement
    function setCreditPolicy(uint16 baseCreditBps, CreditTier[] calldata tiers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCreditPolicy(_getSLAStorage(), baseCreditBps, tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function setRewardDistributor(IRewardDistributor rewards) external onlyRole(DEFAULT_ADMIN_ROLE) {
        SLAStorage storage $ = _getSLAStorage();
        $.rewards = rewards;
        $.priceOracle = address(rewards) == address(0) ? IPriceOracle(address(0)) : rewards.priceOracle();
        emit RewardDistributorUpdated(address(rewards));
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ISLAEnforcement
    function reportDigest(SlaReport calldata report) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        SLA_REPORT_TYPEHASH,
                        report.bookingId,
                        report.period,
                        report.uptimeBps,
                        report.p95LatencyMs,
                        report.sampleCount
                    )
                )
            );
    }

    /// @inheritdoc ISLAEnforcement
    function creditFor(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint16 uptimeTargetBps,
        uint32 maxLatencyMs
    ) public view returns (bool compliant, uint16 creditBps) {
        SLAStorage storage $ = _getSLAStorage();
        compliant = uptimeBps >= uptimeTargetBps && (maxLatencyMs == 0 || p95LatencyMs <= maxLatencyMs);
        if (compliant) return (true, 0);
        creditBps = $.baseCreditBps;
        CreditTier[] storage tiers = $.tiers;
        for (uint256 i = 0; i < tiers.length; ++i) {
            CreditTier memory tier = tiers[i];
            if (uptimeBps >= tier.uptimeBelowBps) break;
            if (tier.creditBps > creditBps) creditBps = tier.creditBps;
        }
    }

    /// @inheritdoc ISLAEnforcement
    function creditPolicy() external view returns (uint16 baseCreditBps, CreditTier[] memory tiers) {
        SLAStorage storage $ = _getSLAStorage();
        return ($.baseCreditBps, $.tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function rewardDistributor() external view returns (IRewardDistributor) {
        return _getSLAStorage().rewards;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _settle(
        SLAStorage storage $,
        SlaReport calldata report,
        bytes[] calldata sigs,
        Outcomes memory outcomes
    ) private returns (bool) {
        if (report.uptimeBps > BPS || report.sampleCount == 0) {
            revert SlaInvalidReport(report.bookingId, report.period);
        }
        _verifyQuorum(reportDigest(report), sigs);

        (address consumer, uint16 uptimeTargetBps, uint32 maxLatencyMs) = $.marketplace.slaTerms(report.bookingId);
        Settlement memory settlement;
        (settlement.compliant, settlement.creditBps) = creditFor(
            report.uptimeBps,
            report.p95LatencyMs,
            uptimeTargetBps,
            maxLatencyMs
        );
        bool settled;
        (settled, settlement.provider, settlement.token, settlement.periodValue, settlement.credit) = $
            .escrow
            .settlePeriod(report.bookingId, report.period, settlement.creditBps, consumer);
        if (!settled) return false;

        uint256 i = _tally(outcomes, settlement.provider, settlement.compliant, settlement.creditBps);
        if (settlement.compliant && address($.rewards) != address(0)) {
            if (outcomes.pendingToken[i] != settlement.token) _priceCompliantValue($, outcomes, i, settlement.token);
            outcomes.pendingValue[i] += settlement.periodValue;
        }
        _emitSettled(report, settlement);
        return true;
    }

    function _emitSettled(SlaReport calldata report, Settlement memory settlement) private {
        emit SlaPeriodSettled(
            report.bookingId,
            report.period,
            settlement.provider,
            report.uptimeBps,
            report.p95LatencyMs,
            report.sampleCount,
            settlement.compliant,
            settlement.creditBps,
            settlement.periodValue,
            settlement.credit
        );
    }

    /// @dev Adds a settled period to its provider's outcomes in this batch; returns the provider's index.
    function _tally(
        Outcomes memory outcomes,
        address provider,
        bool compliant,
        uint16 creditBps
    ) private pure returns (uint256 i) {
        while (i < outcomes.count && outcomes.providers[i] != provider) ++i;
        if (i == outcomes.count) {
            outcomes.providers[i] = provider;
            ++outcomes.count;
        }
        if (compliant) {
            ++outcomes.compliant[i];
        } else {
            ++outcomes.violated[i];
            outcomes.creditBpsTotal[i] += creditBps;
        }
    }

    /// @dev Adds the USD value of provider `i`'s pending compliant value to its total and starts
    /// accumulating `nextToken`. A token that cannot be priced right now adds nothing, so that a
    /// stale feed never blocks settlement.
    function _priceCompliantValue(
        SLAStorage storage $,
        Outcomes memory outcomes,
        uint256 i,
        address nextToken
    ) private {
        uint256 value = outcomes.pendingValue[i];
        if (value != 0) {
            address token = outcomes.pendingToken[i];
            _reserveGas(PRICE_CALL_GAS);
            try $.priceOracle.toUsd{gas: PRICE_CALL_GAS}(token, value) returns (uint256 usdE8) {
                outcomes.compliantUsdE8[i] += usdE8;
            } catch {
                emit RewardsNotPriced(outcomes.providers[i], token, value);
            }
        }
        outcomes.pendingToken[i] = nextToken;
        outcomes.pendingValue[i] = 0;
    }

    function _recordRewards(SLAStorage storage $, address provider, uint256 usdE8) private {
        if (usdE8 == 0) return;
        _reserveGas(REWARDS_CALL_GAS);
        try $.rewards.recordService{gas: REWARDS_CALL_GAS}(provider, usdE8) {} catch {
            emit RewardsNotRecorded(provider, usdE8);
        }
    }

    /// @dev Reverts unless a call can be given its whole `budget` (63/64 rule, EIP-150).
    function _reserveGas(uint256 budget) private view {
        if (gasleft() < budget + budget / 63 + CALL_OVERHEAD_GAS) revert SlaInsufficientGas();
    }

    function _setCreditPolicy(SLAStorage storage $, uint16 baseCreditBps, CreditTier[] calldata tiers) private {
        if (baseCreditBps > BPS || tiers.length > MAX_TIERS) revert SlaInvalidCreditPolicy();
        delete $.tiers;
        uint256 previousCredit = baseCreditBps;
        uint256 previousThreshold = BPS + 1;
        for (uint256 i = 0; i < tiers.length; ++i) {
            CreditTier calldata tier = tiers[i];
            if (tier.uptimeBelowBps >= previousThreshold || tier.creditBps <= previousCredit || tier.creditBps > BPS)
                revert SlaInvalidCreditPolicy();
            previousThreshold = tier.uptimeBelowBps;
            previousCredit = tier.creditBps;
            $.tiers.push(tier);
        }
        $.baseCreditBps = baseCreditBps;
        emit CreditPolicyUpdated(baseCreditBps, tiers);
    }
}
