// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {QuorumSigned} from "../access/QuorumSigned.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {ISLAEnforcement} from "../interfaces/ISLAEnforcement.sol";
import {PriceMath} from "../libraries/PriceMath.sol";

/// @title SLAEnforcement
/// @notice Quorum-signed SLA period reports, settled in the EscrowManager by each booking's own
/// terms and recorded in reputations and rewards by their USD value.
/// @dev Signatures are EIP-712 over this contract's domain (name "D-CloudX SLA", version "1"), so
/// a signature for another chain or another deployment does not verify here. The credit policy is
/// kept with its history like a resource's SLA terms (see ResourceMarketplace): a booking settles
/// by the policy in force just before the second it was requested.
contract SLAEnforcement is ISLAEnforcement, QuorumSigned {
    /// @notice EIP-712 type hash of SlaReport.
    bytes32 public constant SLA_REPORT_TYPEHASH = keccak256(
        "SlaReport(uint256 bookingId,uint32 firstPeriod,uint16[] uptimeBps,uint32[] p95LatencyMs,uint32[] sampleCount)"
    );
    uint256 private constant BPS = 10_000;
    /// @dev Bit positions of a settled period's packed figures (see SlaPeriodsSettled).
    uint256 private constant LATENCY_SHIFT = 16;
    uint256 private constant SAMPLES_SHIFT = 48;
    uint256 private constant CREDIT_SHIFT = 80;
    uint256 private constant COMPLIANT_BIT = 1 << 96;
    /// @dev A settled period's value is the low 128 bits of its amounts word (see SlaPeriodsSettled).
    uint256 private constant VALUE_MASK = type(uint128).max;
    uint256 private constant MAX_TIERS = 8;
    /// @dev Gas given to the price oracle, the reputation system and the reward distributor, well
    /// above what they need. The submitter picks the transaction's gas: each call gets its full
    /// budget or the batch reverts, so that a failure of these calls is never the submitter's doing.
    uint256 private constant PRICE_CALL_GAS = 100_000;
    uint256 private constant REWARDS_CALL_GAS = 200_000;
    /// @dev Covers the call itself (cold account access, memory) on top of the budget.
    uint256 private constant CALL_OVERHEAD_GAS = 5_000;

    /// @dev Settled periods of one batch by provider, recorded once per provider; token prices,
    /// fetched once per token.
    struct Batch {
        address[] providers;
        uint32[] compliant;
        uint32[] violated;
        uint64[] creditBpsTotal;
        uint256[] compliantUsdE8;
        uint256[] violatedUsdE8;
        uint256[] feeUsdE8;
        uint256 providerCount;
        address[] tokens;
        /// @dev A zero answer: the token could not be priced.
        IPriceOracle.UsdPrice[] prices;
        /// @dev The least amount of each token worth the reputation system's minimum value.
        uint256[] minValues;
        uint256 tokenCount;
        uint256 minValueUsdE8;
        /// @dev This contract's EIP-712 domain separator, computed once per batch.
        bytes32 domainSeparator;
    }

    /// @dev One report's settled periods that count, and their value in the booking's token.
    struct Tally {
        uint256 compliant;
        uint256 violated;
        uint256 creditBpsTotal;
        uint256 compliantValue;
        uint256 violatedValue;
    }

    /// @dev A credit policy that was replaced, and when.
    struct PastPolicy {
        uint16 baseCreditBps;
        uint32 replacedAt;
        CreditTier[] tiers;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.SLAEnforcement
    struct SLAStorage {
        IResourceMarketplace marketplace;
        uint16 baseCreditBps;
        /// @dev When the current policy replaced an earlier one (0: never), and how many did.
        uint32 creditPolicySince;
        uint32 creditPolicyVersions;
        IEscrowManager escrow;
        IReputationSystem reputation;
        CreditTier[] tiers;
        IRewardDistributor rewards;
        IPriceOracle priceOracle;
        mapping(uint256 version => PastPolicy) pastPolicies;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.SLAEnforcement")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x46f3515d36f33eee811183e1230bed730e31aa50a5862e4ee5d897aa7362c700;

    function _getSLAStorage() private pure returns (SLAStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy. Settled periods are valued in USD by the marketplace's price oracle.
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
        __EIP712_init("D-CloudX SLA", "1");
        __QuorumSigned_init(signers, initialQuorum);
        if (address(marketplace) == address(0) || address(escrow) == address(0) || address(reputation) == address(0)) {
            revert ManagedZeroAddress();
        }
        SLAStorage storage $ = _getSLAStorage();
        $.marketplace = marketplace;
        $.escrow = escrow;
        $.reputation = reputation;
        $.priceOracle = marketplace.priceOracle();
        _setCreditPolicy($, baseCreditBps, tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function submitReports(
        SlaReport[] calldata reports,
        bytes[][] calldata signatures
    ) external returns (uint256 settled) {
        if (reports.length != signatures.length) revert SlaLengthMismatch(reports.length, signatures.length);
        SLAStorage storage $ = _getSLAStorage();
        Batch memory batch = _newBatch(reports.length);
        batch.minValueUsdE8 = $.reputation.minValueUsdE8();
        batch.domainSeparator = _domainSeparatorV4();
        for (uint256 i = 0; i < reports.length; ++i) {
            settled += _settle($, reports[i], signatures[i], batch);
        }
        for (uint256 i = 0; i < batch.providerCount; ++i) {
            address provider = batch.providers[i];
            if (batch.compliant[i] != 0 || batch.violated[i] != 0) {
                $.reputation.recordPeriods(
                    provider,
                    batch.compliant[i],
                    batch.violated[i],
                    batch.creditBpsTotal[i],
                    batch.compliantUsdE8[i],
                    batch.violatedUsdE8[i]
                );
            }
            _recordRewards($, provider, batch.compliantUsdE8[i], batch.feeUsdE8[i]);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ISLAEnforcement
    function setCreditPolicy(uint16 baseCreditBps, CreditTier[] calldata tiers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        SLAStorage storage $ = _getSLAStorage();
        // Bookings requested up to this second keep the policy being replaced.
        uint32 version = $.creditPolicyVersions;
        PastPolicy storage past = $.pastPolicies[version];
        past.baseCreditBps = $.baseCreditBps;
        past.replacedAt = uint32(block.timestamp);
        for (uint256 i = 0; i < $.tiers.length; ++i) past.tiers.push($.tiers[i]);
        $.creditPolicyVersions = version + 1;
        $.creditPolicySince = uint32(block.timestamp);
        _setCreditPolicy($, baseCreditBps, tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function setRewardDistributor(IRewardDistributor rewards) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _getSLAStorage().rewards = rewards;
        emit RewardDistributorUpdated(address(rewards));
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ISLAEnforcement
    function reportDigest(SlaReport calldata report) public view returns (bytes32) {
        return _hashTypedDataV4(_structHash(report));
    }

    /// @inheritdoc ISLAEnforcement
    function creditFor(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint16 uptimeTargetBps,
        uint32 maxLatencyMs
    ) external view returns (bool compliant, uint16 creditBps) {
        SLAStorage storage $ = _getSLAStorage();
        return
            _creditFor(
                uptimeBps,
                p95LatencyMs,
                IResourceMarketplace.SlaTerms(uptimeTargetBps, maxLatencyMs),
                $.baseCreditBps,
                $.tiers
            );
    }

    /// @inheritdoc ISLAEnforcement
    function creditPolicy() external view returns (uint16 baseCreditBps, CreditTier[] memory tiers) {
        SLAStorage storage $ = _getSLAStorage();
        return ($.baseCreditBps, $.tiers);
    }

    /// @inheritdoc ISLAEnforcement
    function creditPolicyAt(uint256 bookedAt) external view returns (uint16 baseCreditBps, CreditTier[] memory tiers) {
        return _policyAt(_getSLAStorage(), bookedAt);
    }

    /// @inheritdoc ISLAEnforcement
    function rewardDistributor() external view returns (IRewardDistributor) {
        return _getSLAStorage().rewards;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Settles the periods of one report that can settle now; adds them to the batch's outcomes.
    /// @return settled Periods settled.
    function _settle(
        SLAStorage storage $,
        SlaReport calldata report,
        bytes[] calldata sigs,
        Batch memory batch
    ) private returns (uint256 settled) {
        uint256 count = report.uptimeBps.length;
        if (count == 0 || report.p95LatencyMs.length != count || report.sampleCount.length != count) {
            _revertInvalid(report, 0);
        }
        _verifyQuorum(MessageHashUtils.toTypedDataHash(batch.domainSeparator, _structHash(report)), sigs);

        (address consumer, uint32 requestedAt, IResourceMarketplace.SlaTerms memory terms) = $
            .marketplace
            .bookedSlaTerms(report.bookingId);
        (uint16[] memory creditBps, uint256[] memory figures) = _outcomes($, report, requestedAt, terms);
        IEscrowManager.RangeSettlement memory result = $.escrow.settlePeriods(
            report.bookingId,
            report.firstPeriod,
            creditBps,
            consumer
        );
        return _record($, batch, report, consumer, figures, result);
    }

    /// @dev Emits what happened to each period of a report and adds the settled ones to the batch.
    function _record(
        SLAStorage storage $,
        Batch memory batch,
        SlaReport calldata report,
        address consumer,
        uint256[] memory figures,
        IEscrowManager.RangeSettlement memory result
    ) private returns (uint256 settled) {
        uint256 offset = _emitSkipped(report, result);
        settled = result.amounts.length;
        if (settled == 0) return 0;
        if (settled != figures.length) figures = _slice(figures, offset, settled);
        emit SlaPeriodsSettled(
            report.bookingId,
            consumer,
            result.provider,
            uint32(report.firstPeriod + offset),
            figures,
            result.amounts
        );
        _tally($, batch, result, figures);
    }

    /// @dev Emits SlaReportSkipped for each run of periods that did not settle; returns how many came
    /// before the settled ones.
    function _emitSkipped(
        SlaReport calldata report,
        IEscrowManager.RangeSettlement memory result
    ) private returns (uint256 offset) {
        uint256 first = report.firstPeriod;
        _skip(report.bookingId, first, result.alreadySettled, IEscrowManager.SettleStatus.AlreadySettled);
        offset = result.alreadySettled;
        _skip(report.bookingId, first + offset, result.windowClosed, IEscrowManager.SettleStatus.ReportWindowClosed);
        offset += result.windowClosed;
        uint256 settledEnd = offset + result.amounts.length;
        _skip(report.bookingId, first + settledEnd, report.uptimeBps.length - settledEnd, result.unsettled);
    }

    /// @dev In one pass over a report's periods: reverts unless each has at most 100 % uptime and
    /// samples; whether each met the booking's terms and its credit under the booking's policy, and
    /// its figures packed as SlaPeriodsSettled carries them.
    function _outcomes(
        SLAStorage storage $,
        SlaReport calldata report,
        uint256 requestedAt,
        IResourceMarketplace.SlaTerms memory terms
    ) private view returns (uint16[] memory creditBps, uint256[] memory figures) {
        (uint16 baseCreditBps, CreditTier[] storage tiers) = _policyAt($, requestedAt);
        uint16[] calldata uptimes = report.uptimeBps;
        uint32[] calldata latencies = report.p95LatencyMs;
        creditBps = new uint16[](uptimes.length);
        figures = new uint256[](uptimes.length);
        for (uint256 i = 0; i < uptimes.length; ++i) {
            uint256 sampleCount = report.sampleCount[i];
            if (uptimes[i] > BPS || sampleCount == 0) _revertInvalid(report, i);
            (bool compliant, uint16 credit) = _creditFor(uptimes[i], latencies[i], terms, baseCreditBps, tiers);
            creditBps[i] = credit;
            figures[i] =
                uint256(uptimes[i]) |
                (uint256(latencies[i]) << LATENCY_SHIFT) |
                (sampleCount << SAMPLES_SHIFT) |
                (uint256(credit) << CREDIT_SHIFT) |
                (compliant ? COMPLIANT_BIT : 0);
        }
    }

    function _revertInvalid(SlaReport calldata report, uint256 index) private pure {
        revert SlaInvalidReport(report.bookingId, report.firstPeriod + index);
    }

    /// @dev `length` entries of `list` from `offset` on.
    function _slice(
        uint256[] memory list,
        uint256 offset,
        uint256 length
    ) private pure returns (uint256[] memory slice) {
        slice = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) slice[i] = list[offset + i];
    }

    /// @dev EIP-712's hash of a report.
    function _structHash(SlaReport calldata report) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    SLA_REPORT_TYPEHASH,
                    report.bookingId,
                    report.firstPeriod,
                    _hashWords(report.uptimeBps),
                    _hashWords(report.p95LatencyMs),
                    _hashWords(report.sampleCount)
                )
            );
    }

    /// @dev EIP-712's hash of an array of atomic values: keccak256 of its 32-byte-padded entries,
    /// which is how the ABI lays them out in calldata. Every entry is also read, and so checked to
    /// fit its type, in _outcomes: a report with a dirty entry never settles.
    function _hashWords(uint16[] calldata list) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let size := shl(5, list.length)
            let free := mload(0x40)
            calldatacopy(free, list.offset, size)
            hash := keccak256(free, size)
        }
    }

    /// @dev As for uint16[] (the same calldata layout).
    function _hashWords(uint32[] calldata list) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let size := shl(5, list.length)
            let free := mload(0x40)
            calldatacopy(free, list.offset, size)
            hash := keccak256(free, size)
        }
    }

    function _skip(uint256 bookingId, uint256 firstPeriod, uint256 count, IEscrowManager.SettleStatus status) private {
        if (count != 0) emit SlaReportSkipped(bookingId, uint32(firstPeriod), uint32(count), status);
    }

    /// @dev Adds settled periods to their provider's outcomes in this batch, valued in USD once per
    /// report. Periods worth less than the reputation system's minimum value count for neither
    /// reputation nor rewards; periods that cannot be valued now are reported with ServiceNotValued.
    function _tally(
        SLAStorage storage $,
        Batch memory batch,
        IEscrowManager.RangeSettlement memory result,
        uint256[] memory figures
    ) private {
        uint256[] memory amounts = result.amounts;
        uint256 i = 0;
        while (i < batch.providerCount && batch.providers[i] != result.provider) ++i;
        if (i == batch.providerCount) {
            batch.providers[i] = result.provider;
            ++batch.providerCount;
        }
        (IPriceOracle.UsdPrice memory price, uint256 minValue) = _priceOf($, batch, result.token);
        if (price.answer == 0) {
            uint256 total;
            for (uint256 p = 0; p < amounts.length; ++p) total += amounts[p] & VALUE_MASK;
            emit ServiceNotValued(result.provider, result.token, total);
            return;
        }
        // The periods worth the minimum count, valued once, together.
        Tally memory tally;
        for (uint256 p = 0; p < amounts.length; ++p) {
            uint256 value = amounts[p] & VALUE_MASK;
            if (value < minValue) continue;
            if (figures[p] & COMPLIANT_BIT != 0) {
                ++tally.compliant;
                tally.compliantValue += value;
            } else {
                ++tally.violated;
                tally.violatedValue += value;
                tally.creditBpsTotal += uint16(figures[p] >> CREDIT_SHIFT);
            }
        }
        uint256 compliantUsdE8 = _usd(price, tally.compliantValue);
        batch.compliant[i] += uint32(tally.compliant);
        batch.violated[i] += uint32(tally.violated);
        batch.creditBpsTotal[i] += uint64(tally.creditBpsTotal);
        batch.compliantUsdE8[i] += compliantUsdE8;
        batch.violatedUsdE8[i] += _usd(price, tally.violatedValue);
        batch.feeUsdE8[i] += (compliantUsdE8 * result.feeBps) / BPS;
    }

    /// @dev The USD price of `token`, read from the oracle once per batch. A token that cannot be
    /// priced right now is marked unknown, so that a stale feed never blocks settlement.
    function _priceOf(
        SLAStorage storage $,
        Batch memory batch,
        address token
    ) private view returns (IPriceOracle.UsdPrice memory price, uint256 minValue) {
        for (uint256 i = 0; i < batch.tokenCount; ++i) {
            if (batch.tokens[i] == token) return (batch.prices[i], batch.minValues[i]);
        }
        _reserveGas(PRICE_CALL_GAS);
        try $.priceOracle.usdPrice{gas: PRICE_CALL_GAS}(token) returns (IPriceOracle.UsdPrice memory answer) {
            price = answer;
        } catch {}
        // The least amount worth the minimum (rounded up): a period counts if its value reaches it.
        if (price.answer != 0) {
            minValue = PriceMath.usdToToken(batch.minValueUsdE8, price.answer, price.feedDecimals, price.tokenDecimals);
        }
        batch.tokens[batch.tokenCount] = token;
        batch.prices[batch.tokenCount] = price;
        batch.minValues[batch.tokenCount] = minValue;
        ++batch.tokenCount;
    }

    /// @dev USD value of `amount` of a token at `price`.
    function _usd(IPriceOracle.UsdPrice memory price, uint256 amount) private pure returns (uint256) {
        return amount == 0 ? 0 : PriceMath.tokenToUsd(amount, price.answer, price.feedDecimals, price.tokenDecimals);
    }

    function _recordRewards(SLAStorage storage $, address provider, uint256 usdE8, uint256 feeUsdE8) private {
        if (usdE8 == 0 || address($.rewards) == address(0)) return;
        _reserveGas(REWARDS_CALL_GAS);
        try $.rewards.recordService{gas: REWARDS_CALL_GAS}(provider, usdE8, feeUsdE8) {} catch {
            emit RewardsNotRecorded(provider, usdE8, feeUsdE8);
        }
    }

    /// @dev Reverts unless a call can be given its whole `budget` (63/64 rule, EIP-150).
    function _reserveGas(uint256 budget) private view {
        if (gasleft() < budget + budget / 63 + CALL_OVERHEAD_GAS) revert SlaInsufficientGas();
    }

    function _newBatch(uint256 size) private pure returns (Batch memory batch) {
        batch.providers = new address[](size);
        batch.compliant = new uint32[](size);
        batch.violated = new uint32[](size);
        batch.creditBpsTotal = new uint64[](size);
        batch.compliantUsdE8 = new uint256[](size);
        batch.violatedUsdE8 = new uint256[](size);
        batch.feeUsdE8 = new uint256[](size);
        batch.tokens = new address[](size);
        batch.prices = new IPriceOracle.UsdPrice[](size);
        batch.minValues = new uint256[](size);
    }

    /// @dev Whether the figures met `terms`, and the credit they earn under the given policy.
    function _creditFor(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        IResourceMarketplace.SlaTerms memory terms,
        uint16 baseCreditBps,
        CreditTier[] storage tiers
    ) private view returns (bool compliant, uint16 creditBps) {
        compliant =
            uptimeBps >= terms.uptimeTargetBps &&
            (terms.maxLatencyMs == 0 || p95LatencyMs <= terms.maxLatencyMs);
        if (compliant) return (true, 0);
        creditBps = baseCreditBps;
        for (uint256 i = 0; i < tiers.length; ++i) {
            CreditTier memory tier = tiers[i];
            if (uptimeBps >= tier.uptimeBelowBps) break;
            if (tier.creditBps > creditBps) creditBps = tier.creditBps;
        }
    }

    /// @dev The credit policy of a booking requested at `bookedAt`: the one in force just before
    /// that second.
    function _policyAt(
        SLAStorage storage $,
        uint256 bookedAt
    ) private view returns (uint16 baseCreditBps, CreditTier[] storage tiers) {
        uint256 versions = $.creditPolicyVersions;
        if (bookedAt > $.creditPolicySince || versions == 0) return ($.baseCreditBps, $.tiers);
        // The first earlier policy replaced at or after `bookedAt` was in force then.
        uint256 low = 0;
        uint256 high = versions - 1;
        while (low < high) {
            uint256 middle = (low + high) / 2;
            if ($.pastPolicies[middle].replacedAt >= bookedAt) high = middle;
            else low = middle + 1;
        }
        PastPolicy storage past = $.pastPolicies[low];
        return (past.baseCreditBps, past.tiers);
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
