// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../interfaces/ISLAEnforcement.sol";

/// @title SLAEnforcement
/// @notice Quorum-signed SLA period reports, settled in the EscrowManager and recorded in reputations.
/// @dev Signatures are EIP-712 over this contract's domain (name "D-CloudX SLA", version "1"), so
/// a signature for another chain or another deployment does not verify here.
contract SLAEnforcement is ISLAEnforcement, ManagedUpgradeable, EIP712Upgradeable {
    /// @notice EIP-712 type hash of SlaReport.
    bytes32 public constant SLA_REPORT_TYPEHASH = keccak256(
        "SlaReport(uint256 bookingId,uint32 period,uint16 uptimeBps,uint32 p95LatencyMs,uint32 sampleCount)"
    );
    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_TIERS = 8;

    /// @dev Period outcomes of one batch, per provider, recorded in reputations once per provider.
    struct Outcomes {
        address[] providers;
        uint32[] compliant;
        uint32[] violated;
        uint64[] creditBpsTotal;
        uint256 count;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.SLAEnforcement
    struct SLAStorage {
        IResourceMarketplace marketplace;
        uint16 quorum;
        uint16 signerCount;
        uint16 baseCreditBps;
        IEscrowManager escrow;
        IReputationSystem reputation;
        mapping(address signer => bool) signers;
        CreditTier[] tiers;
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
        __EIP712_init("D-CloudX SLA", "1");
        if (address(marketplace) == address(0) || address(escrow) == address(0) || address(reputation) == address(0)) {
            revert ManagedZeroAddress();
        }
        SLAStorage storage $ = _getSLAStorage();
        $.marketplace = marketplace;
        $.escrow = escrow;
        $.reputation = reputation;
        for (uint256 i = 0; i < signers.length; ++i) {
            _addSigner($, signers[i]);
        }
        _setQuorum($, initialQuorum);
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
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ISLAEnforcement
    function addOracleSigner(address signer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _addSigner(_getSLAStorage(), signer);
    }

    /// @inheritdoc ISLAEnforcement
    function removeOracleSigner(address signer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        SLAStorage storage $ = _getSLAStorage();
        if (!$.signers[signer]) revert SlaSignerMissing(signer);
        if ($.quorum > $.signerCount - 1) revert SlaInvalidQuorum($.quorum, $.signerCount - 1);
        $.signers[signer] = false;
        --$.signerCount;
        emit OracleSignerRemoved(signer);
    }

    /// @inheritdoc ISLAEnforcement
    function setQuorum(uint16 newQuorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setQuorum(_getSLAStorage(), newQuorum);
    }

    /// @inheritdoc ISLAEnforcement
    function setCreditPolicy(uint16 baseCreditBps, CreditTier[] calldata tiers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCreditPolicy(_getSLAStorage(), baseCreditBps, tiers);
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
    function isOracleSigner(address signer) external view returns (bool) {
        return _getSLAStorage().signers[signer];
    }

    /// @inheritdoc ISLAEnforcement
    function oracleSignerCount() external view returns (uint256) {
        return _getSLAStorage().signerCount;
    }

    /// @inheritdoc ISLAEnforcement
    function quorum() external view returns (uint16) {
        return _getSLAStorage().quorum;
    }

    /// @inheritdoc ISLAEnforcement
    function creditPolicy() external view returns (uint16 baseCreditBps, CreditTier[] memory tiers) {
        SLAStorage storage $ = _getSLAStorage();
        return ($.baseCreditBps, $.tiers);
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
        _verifyQuorum($, report, sigs);

        (address consumer, uint16 uptimeTargetBps, uint32 maxLatencyMs) = $.marketplace.slaTerms(report.bookingId);
        (bool compliant, uint16 creditBps) = creditFor(
            report.uptimeBps,
            report.p95LatencyMs,
            uptimeTargetBps,
            maxLatencyMs
        );
        (bool settled, address provider, uint256 periodValue, uint256 credit) = $.escrow.settlePeriod(
            report.bookingId,
            report.period,
            creditBps,
            consumer
        );
        if (!settled) return false;

        _tally(outcomes, provider, compliant, creditBps);
        emit SlaPeriodSettled(
            report.bookingId,
            report.period,
            provider,
            report.uptimeBps,
            report.p95LatencyMs,
            report.sampleCount,
            compliant,
            creditBps,
            periodValue,
            credit
        );
        return true;
    }

    /// @dev Adds a settled period to its provider's outcomes in this batch.
    function _tally(Outcomes memory outcomes, address provider, bool compliant, uint16 creditBps) private pure {
        uint256 i = 0;
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

    /// @dev Counts distinct registered signers of `report`; signatures must be ordered by signer.
    function _verifyQuorum(SLAStorage storage $, SlaReport calldata report, bytes[] calldata sigs) private view {
        bytes32 digest = reportDigest(report);
        address previous;
        for (uint256 i = 0; i < sigs.length; ++i) {
            address signer = ECDSA.recover(digest, sigs[i]);
            if (!$.signers[signer]) revert SlaUnknownSigner(signer);
            if (signer == previous) revert SlaDuplicateSigner(signer);
            if (signer < previous) revert SlaSignersUnordered(signer);
            previous = signer;
        }
        if (sigs.length < $.quorum) revert SlaQuorumNotReached(report.bookingId, report.period, sigs.length, $.quorum);
    }

    function _addSigner(SLAStorage storage $, address signer) private {
        if (signer == address(0)) revert ManagedZeroAddress();
        if ($.signers[signer]) revert SlaSignerExists(signer);
        $.signers[signer] = true;
        ++$.signerCount;
        emit OracleSignerAdded(signer);
    }

    function _setQuorum(SLAStorage storage $, uint16 newQuorum) private {
        if (newQuorum == 0 || newQuorum > $.signerCount) revert SlaInvalidQuorum(newQuorum, $.signerCount);
        $.quorum = newQuorum;
        emit QuorumUpdated(newQuorum);
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
