// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {EscrowManager} from "../../../contracts/core/EscrowManager.sol";
import {ReputationSystem} from "../../../contracts/core/ReputationSystem.sol";
import {ResourceMarketplace} from "../../../contracts/core/ResourceMarketplace.sol";
import {SLAEnforcement} from "../../../contracts/core/SLAEnforcement.sol";
import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../../../contracts/interfaces/IPriceOracle.sol";
import {IQuorumSigned} from "../../../contracts/interfaces/IQuorumSigned.sol";
import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../../../contracts/interfaces/ISLAEnforcement.sol";
import {PriceOracle} from "../../../contracts/oracles/PriceOracle.sol";

/// @title OutsiderActor
/// @notice Calls every state-changing function of the protocol as an outsider: an address with no
/// role, no booking, no resource and no funds. MarketplaceHandler uses it for its `outsider` action;
/// it lives in its own contract because the handler's bytecode would otherwise not fit.
contract OutsiderActor is CommonBase, StdUtils {
    string private constant CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 private constant ENCRYPTION_KEY = 0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170;

    PriceOracle private priceOracle;
    ReputationSystem private reputation;
    EscrowManager private escrow;
    ResourceMarketplace private marketplace;
    SLAEnforcement private sla;
    address private admin;

    address[] private tokens;
    address[] private feeds;
    address[] private providers;
    address[] private consumers;
    address[] private oracles;

    uint256 private successes;
    string private firstSuccess;

    constructor(
        address[6] memory protocol,
        address[] memory tokens_,
        address[] memory feeds_,
        address[] memory providers_,
        address[] memory consumers_,
        address[] memory oracles_
    ) {
        priceOracle = PriceOracle(protocol[0]);
        reputation = ReputationSystem(protocol[1]);
        escrow = EscrowManager(protocol[2]);
        marketplace = ResourceMarketplace(protocol[3]);
        sla = SLAEnforcement(protocol[4]);
        admin = protocol[5];
        tokens = tokens_;
        feeds = feeds_;
        providers = providers_;
        consumers = consumers_;
        oracles = oracles_;
    }

    /// @notice Makes `who` call everything it should not be able to.
    /// @param key Private key of `who`, to sign reports and statements that no oracle signed.
    /// @param currentTime The run's clock, to skip the calls anyone may make at that time.
    /// @return count How many calls went through (each one is a failure of access control).
    /// @return first Name of the first call that went through.
    function attack(
        address who,
        uint256 key,
        uint256 bookingId,
        uint256 seed,
        uint256 currentTime
    ) external returns (uint256 count, string memory first) {
        successes = 0;
        firstSuccess = "";
        _attemptEscrow(who, bookingId, seed);
        _attemptMarketplace(who, key, bookingId, seed, currentTime);
        _attemptSla(who, key, bookingId, seed);
        _attemptReputation(who, bookingId, seed);
        _attemptPriceOracle(who, seed);
        return (successes, firstSuccess);
    }

    /// @notice A hash of everything an outsider must not be able to change: every balance and claim,
    /// every bond, booking, stream, resource and reputation record, and the protocol's parameters.
    function fingerprint(address[] calldata accounts) external view returns (bytes32 hash) {
        for (uint256 t = 0; t < tokens.length; ++t) {
            hash = keccak256(abi.encode(hash, _balanceOf(tokens[t], address(escrow))));
            for (uint256 i = 0; i < accounts.length; ++i) {
                hash = keccak256(
                    abi.encode(
                        hash,
                        _balanceOf(tokens[t], accounts[i]),
                        escrow.owed(accounts[i], tokens[t]),
                        escrow.bondOf(accounts[i], tokens[t])
                    )
                );
            }
            hash = keccak256(abi.encode(hash, priceOracle.paymentToken(tokens[t])));
        }
        for (uint256 id = 1; id <= marketplace.bookingCount(); ++id) {
            hash = keccak256(abi.encode(hash, marketplace.getBooking(id), escrow.depositOf(id), escrow.streamOf(id)));
        }
        for (uint256 id = 1; id <= marketplace.resourceCount(); ++id) {
            hash = keccak256(abi.encode(hash, marketplace.getResource(id)));
        }
        for (uint256 i = 0; i < accounts.length; ++i) {
            hash = keccak256(abi.encode(hash, reputation.recordOf(accounts[i]), sla.isSigner(accounts[i])));
            for (uint256 t = 0; t < tokens.length; ++t) {
                hash = keccak256(abi.encode(hash, escrow.activeValueOf(accounts[i], tokens[t])));
            }
        }
        (uint16 feeBps, uint32 freeSeconds) = marketplace.cancellationPolicy();
        hash = keccak256(
            abi.encode(
                hash,
                marketplace.oracleSigners(),
                marketplace.bondCoverage(),
                feeBps,
                freeSeconds,
                reputation.minValueUsdE8()
            )
        );
        (uint16 baseCreditBps, ISLAEnforcement.CreditTier[] memory tiers) = sla.creditPolicy();
        hash = keccak256(
            abi.encode(
                hash,
                escrow.settings(),
                marketplace.paused(),
                marketplace.provisionTimeout(),
                sla.quorum(),
                sla.signerCount(),
                baseCreditBps,
                tiers
            )
        );
    }

    function _attemptEscrow(address who, uint256 bookingId, uint256 seed) private {
        address victim = consumers[seed % consumers.length];
        address token = tokens[seed % tokens.length];
        uint256 amount = _bound(seed >> 8, 1, 1e18);
        uint256[] memory ids = new uint256[](1);
        ids[0] = bookingId;
        uint16[] memory credits = new uint16[](1);
        credits[0] = 10_000;
        address e = address(escrow);
        // Would pull an approved consumer's tokens into a booking that pays the outsider.
        _attempt(who, e, abi.encodeCall(IEscrowManager.deposit, (bookingId, victim, who, token, amount)), "deposit");
        _attempt(who, e, abi.encodeCall(IEscrowManager.startStream, (bookingId, 0, 1)), "startStream");
        _attempt(who, e, abi.encodeCall(IEscrowManager.refundDeposit, (bookingId, who, 0, 0, true)), "refundDeposit");
        _attempt(who, e, abi.encodeCall(IEscrowManager.stopStream, (bookingId, who, true)), "stopStream");
        _attempt(who, e, abi.encodeCall(IEscrowManager.closeStream, (bookingId)), "closeStream");
        _attempt(who, e, abi.encodeCall(IEscrowManager.settlePeriods, (bookingId, 0, credits, who)), "settlePeriods");
        _attempt(who, e, abi.encodeCall(IEscrowManager.withdrawEarnings, (bookingId)), "withdrawEarnings");
        _attempt(who, e, abi.encodeCall(IEscrowManager.withdrawEarningsBatch, (ids)), "withdrawEarningsBatch");
        _attempt(who, e, abi.encodeCall(IEscrowManager.withdrawEarningsTo, (ids, who)), "withdrawEarningsTo");
        _attempt(who, e, abi.encodeCall(IEscrowManager.claim, (token)), "claim");
        _attempt(who, e, abi.encodeCall(IEscrowManager.claimTo, (token, who)), "claimTo");
        _attempt(who, e, abi.encodeCall(IEscrowManager.depositBond, (token, amount)), "depositBond");
        _attempt(who, e, abi.encodeCall(IEscrowManager.requestBondWithdrawal, (token, amount)), "requestBond");
        _attempt(who, e, abi.encodeCall(IEscrowManager.withdrawBond, (token)), "withdrawBond");
        _attempt(who, e, abi.encodeCall(IEscrowManager.withdrawBondTo, (token, who)), "withdrawBondTo");
        IEscrowManager.Settings memory settings = escrow.settings();
        settings.treasury = who;
        _attempt(who, e, abi.encodeCall(IEscrowManager.updateSettings, (settings)), "updateSettings");
        _attempt(
            who,
            e,
            abi.encodeCall(EscrowManager.initialize, (who, IPriceOracle(address(priceOracle)), settings)),
            "escrow.initialize"
        );
        _attemptAdministration(who, e, escrow.MARKETPLACE_ROLE());
    }

    function _attemptMarketplace(
        address who,
        uint256 key,
        uint256 bookingId,
        uint256 seed,
        uint256 currentTime
    ) private {
        address m = address(marketplace);
        uint256 resourceId = _bound(seed, 0, marketplace.resourceCount() + 1);
        IResourceMarketplace.ResourceTerms memory terms = IResourceMarketplace.ResourceTerms({
            pricePerHourUsdE8: 1,
            capacity: 1,
            minHours: 1,
            maxHours: 1,
            uptimeTargetBps: 0,
            maxLatencyMs: 0,
            acceptedTokens: new address[](1)
        });
        IResourceMarketplace.BookingStatus status = marketplace.getBooking(bookingId).status;
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.updateProviderProfile, (CID)), "updateProfile");
        _attempt(
            who,
            m,
            abi.encodeCall(
                IResourceMarketplace.listResource,
                (IResourceMarketplace.ResourceParams(CID, "x", IResourceMarketplace.ResourceKind.Storage, terms))
            ),
            "listResource"
        );
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.updateResourceTerms, (resourceId, terms)), "terms");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.updateResourceMetadata, (resourceId, CID)), "metadata");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.setResourcePaused, (resourceId, true)), "pauseResource");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.delistResource, (resourceId)), "delist");
        // Without funds, a booking cannot be paid for.
        _attempt(
            who,
            m,
            abi.encodeCall(
                IResourceMarketplace.book,
                (
                    resourceId,
                    1,
                    tokens[seed % 3],
                    type(uint256).max,
                    IResourceMarketplace.SlaTerms(0, 0),
                    ENCRYPTION_KEY
                )
            ),
            "book"
        );
        // Statements the outsider signed itself, as many times as the quorum needs.
        address consumer = marketplace.getBooking(bookingId).consumer;
        bytes[] memory signatures = _selfSigned(
            key,
            keccak256(abi.encode(marketplace.PROVISIONING_TYPEHASH(), bookingId, consumer, keccak256(bytes(CID))))
        );
        _attempt(
            who,
            m,
            abi.encodeCall(IResourceMarketplace.confirmProvisioning, (bookingId, CID, signatures)),
            "confirm"
        );
        signatures = _selfSigned(
            key,
            keccak256(abi.encode(marketplace.CONSUMER_FAULT_TYPEHASH(), bookingId, consumer, uint8(2)))
        );
        _attempt(
            who,
            m,
            abi.encodeCall(
                IResourceMarketplace.cancelForConsumerFault,
                (bookingId, IResourceMarketplace.CancelReason.UnusableEncryptionKey, signatures)
            ),
            "cancelForConsumerFault"
        );
        // Anyone may cancel a booking whose provisioning timed out, and complete one that has ended.
        uint256 deadline = uint256(marketplace.getBooking(bookingId).requestedAt) + marketplace.provisionTimeout();
        if (status != IResourceMarketplace.BookingStatus.Requested || currentTime <= deadline) {
            _attempt(who, m, abi.encodeCall(IResourceMarketplace.cancelBooking, (bookingId)), "cancelBooking");
        }
        if (status != IResourceMarketplace.BookingStatus.Active || currentTime < escrow.streamOf(bookingId).endsAt) {
            _attempt(who, m, abi.encodeCall(IResourceMarketplace.completeBooking, (bookingId)), "completeBooking");
        }
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.terminateBooking, (bookingId)), "terminateBooking");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.rateBooking, (bookingId, 1)), "rateBooking");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.pause, ()), "pause");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.unpause, ()), "unpause");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.setProvisionTimeout, (7 days)), "setProvisionTimeout");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.setOracleSigners, (IQuorumSigned(who))), "setSigners");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.setBondCoverage, (0)), "setBondCoverage");
        _attempt(who, m, abi.encodeCall(IResourceMarketplace.setCancellationPolicy, (1_000, 0)), "setCancellation");
        _attemptAdministration(who, m, marketplace.GUARDIAN_ROLE());
    }

    function _attemptSla(address who, uint256 key, uint256 bookingId, uint256 seed) private {
        address s = address(sla);
        ISLAEnforcement.SlaReport[] memory reports = new ISLAEnforcement.SlaReport[](1);
        reports[0] = ISLAEnforcement.SlaReport({
            bookingId: bookingId,
            firstPeriod: uint32(seed % 8),
            uptimeBps: new uint16[](3),
            p95LatencyMs: new uint32[](3),
            sampleCount: new uint32[](3)
        });
        for (uint256 i = 0; i < 3; ++i) {
            reports[0].p95LatencyMs[i] = 10_000;
            reports[0].sampleCount[i] = 60;
        }
        bytes[][] memory signatures = new bytes[][](1);
        signatures[0] = new bytes[](sla.quorum());
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, sla.reportDigest(reports[0]));
        for (uint256 i = 0; i < signatures[0].length; ++i) signatures[0][i] = abi.encodePacked(r, sig, v);
        _attempt(who, s, abi.encodeCall(ISLAEnforcement.submitReports, (reports, signatures)), "submitReports");
        _attempt(who, s, abi.encodeCall(IQuorumSigned.addSigner, (who)), "addSigner");
        _attempt(who, s, abi.encodeCall(IQuorumSigned.removeSigner, (oracles[seed % oracles.length])), "removeSigner");
        _attempt(who, s, abi.encodeCall(IQuorumSigned.setQuorum, (1)), "setQuorum");
        _attempt(
            who,
            s,
            abi.encodeCall(ISLAEnforcement.setCreditPolicy, (10_000, new ISLAEnforcement.CreditTier[](0))),
            "setCreditPolicy"
        );
        _attemptAdministration(who, s, keccak256("SLA_SIGNER"));
    }

    function _attemptReputation(address who, uint256 bookingId, uint256 seed) private {
        address r = address(reputation);
        address provider = providers[seed % providers.length];
        _attempt(
            who,
            r,
            abi.encodeCall(IReputationSystem.recordPeriods, (provider, 0, 1_000, 1e7, 0, 1e12)),
            "recordPeriods"
        );
        _attempt(who, r, abi.encodeCall(IReputationSystem.recordBookingCompleted, (provider)), "recordCompleted");
        _attempt(who, r, abi.encodeCall(IReputationSystem.recordBookingFailed, (provider, 1e12)), "recordFailed");
        _attempt(
            who,
            r,
            abi.encodeCall(IReputationSystem.recordRating, (provider, bookingId, who, 1, 1e12)),
            "recordRating"
        );
        _attempt(who, r, abi.encodeCall(IReputationSystem.setMinValue, (1e11)), "setMinValue");
        _attemptAdministration(who, r, reputation.RECORDER_ROLE());
    }

    function _attemptPriceOracle(address who, uint256 seed) private {
        address p = address(priceOracle);
        address token = tokens[seed % tokens.length];
        address feed = feeds[(seed >> 8) % feeds.length];
        _attempt(who, p, abi.encodeCall(IPriceOracle.setPaymentToken, (token, feed, 1)), "setPaymentToken");
        _attempt(who, p, abi.encodeCall(IPriceOracle.disablePaymentToken, (token)), "disablePaymentToken");
        _attempt(who, p, abi.encodeCall(IPriceOracle.setSequencerUptimeFeed, (feed, 1)), "setSequencerFeed");
        _attempt(who, p, abi.encodeCall(PriceOracle.initialize, (who)), "oracle.initialize");
        _attemptAdministration(who, p, bytes32(0));
    }

    /// @dev Role administration and upgrades, common to every contract. Upgrading a proxy to its own
    /// implementation would succeed if the role check were missing, so no spare implementation is needed.
    function _attemptAdministration(address who, address target, bytes32 role) private {
        address implementation = address(uint160(uint256(vm.load(target, ERC1967Utils.IMPLEMENTATION_SLOT))));
        _attempt(who, target, abi.encodeCall(IAccessControl.grantRole, (role, who)), "grantRole");
        _attempt(who, target, abi.encodeCall(IAccessControl.revokeRole, (bytes32(0), admin)), "revokeAdmin");
        _attempt(
            who,
            target,
            abi.encodeCall(UUPSUpgradeable.upgradeToAndCall, (implementation, "")),
            "upgradeToAndCall"
        );
    }

    /// @dev The statement with `structHash` signed by `key` over the oracle signer set's domain, as
    /// many times as the quorum asks for.
    function _selfSigned(uint256 key, bytes32 structHash) private view returns (bytes[] memory signatures) {
        (, string memory name, string memory version, uint256 chainId, address verifying, , ) = sla.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        signatures = new bytes[](sla.quorum());
        for (uint256 i = 0; i < signatures.length; ++i) signatures[i] = abi.encodePacked(r, s, v);
    }

    function _attempt(address who, address target, bytes memory call, string memory name) private {
        vm.prank(who);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = target.call(call);
        if (!ok) {
            // The log recorder keeps the events of calls that reverted; they must not count.
            vm.getRecordedLogs();
            return;
        }
        if (successes == 0) firstSuccess = name;
        ++successes;
    }

    function _balanceOf(address token, address account) private view returns (uint256) {
        return token == address(0) ? account.balance : IERC20(token).balanceOf(account);
    }
}
