// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {EscrowManager} from "../../../contracts/core/EscrowManager.sol";
import {ReputationSystem} from "../../../contracts/core/ReputationSystem.sol";
import {ResourceMarketplace} from "../../../contracts/core/ResourceMarketplace.sol";
import {SLAEnforcement} from "../../../contracts/core/SLAEnforcement.sol";
import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../../../contracts/interfaces/ISLAEnforcement.sol";
import {StreamMath} from "../../../contracts/libraries/StreamMath.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {PriceOracle} from "../../../contracts/oracles/PriceOracle.sol";
import {OutsiderActor} from "./OutsiderActor.sol";

/// @notice Everything the handler drives, as deployed by CoreDeployment.
struct System {
    PriceOracle priceOracle;
    ReputationSystem reputation;
    EscrowManager escrow;
    ResourceMarketplace marketplace;
    SLAEnforcement sla;
    MockERC20 dai;
    MockERC20 usdc;
    MockV3Aggregator ethFeed;
    MockV3Aggregator daiFeed;
    MockV3Aggregator usdcFeed;
    address admin;
    address treasury;
    address guardian;
    uint256[3] oracleKeys;
}

/// @notice What the handler saw happen to one booking, from the calls it made and the events they emitted.
/// @param providerGross Taken from the booking by the provider's withdrawals, fees included.
/// @param refunds Credited to the consumer on cancellation or termination.
/// @param slaCredits Credited to the consumer for SLA periods that missed the SLA.
/// @param slashed Credited to the consumer from the provider's bond.
/// @param terminalStatus First final status seen (None until then).
/// @param terminalEndsAt The stream's end when the final status was first seen.
struct BookingGhost {
    address token;
    address consumer;
    address provider;
    uint256 deposit;
    uint256 providerGross;
    uint256 fees;
    uint256 refunds;
    uint256 slaCredits;
    uint256 slashed;
    IResourceMarketplace.BookingStatus lastStatus;
    IResourceMarketplace.BookingStatus terminalStatus;
    uint40 terminalEndsAt;
    uint32 lastSettledPeriods;
}

/// @notice Value that moved in and out of the escrow in one token, measured at the wallets involved.
struct TokenGhost {
    uint256 bookingDeposits;
    uint256 bondDeposits;
    uint256 donations;
    uint256 providerPayouts;
    uint256 claims;
    uint256 treasuryClaims;
    uint256 bondWithdrawals;
    uint256 feesCharged;
    uint256 bondsSlashed;
}

/// @notice How many times each action did what it set out to do, to show that runs go deep.
struct Stats {
    uint256 listed;
    uint256 booked;
    uint256 confirmed;
    uint256 cancelled;
    uint256 timedOut;
    uint256 terminated;
    uint256 completed;
    uint256 periodsSettled;
    uint256 withdrawals;
    uint256 batchWithdrawals;
    uint256 claims;
    uint256 bondsDeposited;
    uint256 bondsWithdrawn;
    uint256 ratings;
    uint256 outsiderAttempts;
}

/// @title MarketplaceHandler
/// @notice Drives the deployed protocol through random but meaningful sequences: providers list
/// resources and post bonds, consumers book in ETH and two ERC-20s, oracles confirm provisioning and
/// sign SLA reports, time passes, bookings are cancelled, terminated and completed, and money is
/// withdrawn and claimed. Outsiders try every function they should not be able to use.
/// @dev Each action checks what it can know exactly (amounts paid, refunded, withdrawn) and records
/// a violation instead of reverting, since reverts are ignored by the invariant runner.
contract MarketplaceHandler is CommonBase, StdUtils {
    using StreamMath for uint256;

    uint256 private constant ACTORS = 3;
    uint256 private constant OUTSIDERS = 4;
    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_BATCH = 5;
    string private constant CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 private constant ENCRYPTION_KEY = keccak256("consumer x25519 key");

    PriceOracle public priceOracle;
    ReputationSystem public reputation;
    EscrowManager public escrow;
    ResourceMarketplace public marketplace;
    SLAEnforcement public sla;
    address public admin;
    address public treasury;
    address public guardian;

    address[3] public tokens;
    MockV3Aggregator[3] private feeds;
    address[ACTORS] public providers;
    address[ACTORS] public consumers;
    /// @dev Oracle signers ordered by address, as signatures must be.
    address[ACTORS] public oracles;
    uint256[ACTORS] private oracleKeys;
    address[OUTSIDERS] public outsiders;
    uint256[OUTSIDERS] private outsiderKeys;

    /// @dev The clock of the run. The handler never reads block.timestamp after start: the runner may
    /// reset it between calls, and the optimizer may reuse a read from before a vm.warp.
    uint256 public currentTime;

    OutsiderActor public outsiderActor;

    mapping(uint256 bookingId => BookingGhost) private bookingGhosts;
    mapping(address token => TokenGhost) private tokenGhosts;
    mapping(address provider => IReputationSystem.Record) private providerGhosts;
    mapping(uint256 bookingId => mapping(uint256 period => uint256)) public settlementCount;
    mapping(uint256 bookingId => uint256) public settlementsOf;
    uint256 public maxSettlementsPerPeriod;
    Stats private stats;

    uint256 public violations;
    string public firstViolation;
    uint256 public outsiderViolations;
    string public firstOutsiderViolation;

    error UnknownToken(address token);
    error OutsiderActorNotDeployed();

    /// @dev Result of submitting one report, as the SLA rules predict it.
    enum ReportOutcome {
        Settles,
        Skipped,
        Reverts
    }

    modifier step() {
        vm.warp(currentTime);
        vm.recordLogs();
        _;
        _processLogs(vm.getRecordedLogs());
        _checkBookings();
    }

    constructor(System memory s) {
        priceOracle = s.priceOracle;
        reputation = s.reputation;
        escrow = s.escrow;
        marketplace = s.marketplace;
        sla = s.sla;
        admin = s.admin;
        treasury = s.treasury;
        guardian = s.guardian;
        tokens = [address(0), address(s.dai), address(s.usdc)];
        feeds = [s.ethFeed, s.daiFeed, s.usdcFeed];
        currentTime = block.timestamp;

        _sortOracles(s.oracleKeys);
        for (uint256 i = 0; i < ACTORS; ++i) {
            providers[i] = _actor(string.concat("provider", vm.toString(i)), 0x1000 + i);
            consumers[i] = _actor(string.concat("consumer", vm.toString(i)), 0x2000 + i);
            for (uint256 t = 1; t < tokens.length; ++t) {
                vm.prank(providers[i]);
                MockERC20(tokens[t]).approve(address(escrow), type(uint256).max);
                vm.prank(consumers[i]);
                MockERC20(tokens[t]).approve(address(escrow), type(uint256).max);
            }
        }
        for (uint256 i = 0; i < OUTSIDERS; ++i) {
            outsiderKeys[i] = 0x3000 + i;
            outsiders[i] = _actor(string.concat("outsider", vm.toString(i)), outsiderKeys[i]);
        }

        // Deployed from its artifact so that its creation code is not compiled into the handler's.
        bytes memory actorCode = bytes.concat(
            vm.getCode("test/invariant/handlers/OutsiderActor.sol:OutsiderActor"),
            abi.encode(
                [address(priceOracle), address(reputation), address(escrow), address(marketplace), address(sla), admin],
                _list3(tokens),
                _list3([address(s.ethFeed), address(s.daiFeed), address(s.usdcFeed)]),
                allProviders(),
                _list3(consumers),
                _list3(oracles)
            )
        );
        address actor;
        assembly ("memory-safe") {
            actor := create(0, add(actorCode, 0x20), mload(actorCode))
        }
        if (actor == address(0)) revert OutsiderActorNotDeployed();
        outsiderActor = OutsiderActor(actor);

        // One resource per provider from the start, so that the first calls can already book.
        for (uint256 i = 0; i < ACTORS; ++i) {
            vm.prank(providers[i]);
            marketplace.registerProvider(CID);
            _list(providers[i], 150_000_000, 3, 3, 7, 9_950, 250);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Providers and resources
    // ---------------------------------------------------------------------------------------------

    function listResource(
        uint256 providerSeed,
        uint256 priceSeed,
        uint256 capacitySeed,
        uint256 hoursSeed,
        uint256 tokensSeed,
        uint256 slaSeed
    ) external step {
        address provider = providers[providerSeed % ACTORS];
        uint64 price = uint64(_bound(priceSeed, 1e6, 50e8));
        uint16 capacity = uint16(_bound(capacitySeed, 1, 3));
        uint16 maxHours = uint16(_bound(hoursSeed, 1, 3));
        uint16 uptimeTarget = uint16(_bound(slaSeed, 9_000, 9_990));
        uint32 maxLatency = slaSeed % 3 == 0 ? 0 : uint32(_bound(slaSeed >> 16, 100, 500));
        _list(provider, price, capacity, maxHours, (tokensSeed % 7) + 1, uptimeTarget, maxLatency);
    }

    /// @dev Pauses, resumes, delists or re-prices a resource; SLA terms may only tighten while booked.
    function manageResource(uint256 resourceSeed, uint256 actionSeed, uint256 termsSeed) external step {
        uint256 count = marketplace.resourceCount();
        uint256 resourceId = _bound(resourceSeed, 1, count);
        IResourceMarketplace.Resource memory resource = marketplace.getResource(resourceId);
        uint256 action = actionSeed % 8;
        if (action == 0) {
            vm.prank(resource.provider);
            try marketplace.delistResource(resourceId) {} catch {
                _dropLogs();
            }
        } else if (action < 3) {
            vm.prank(resource.provider);
            try marketplace.setResourcePaused(resourceId, action == 1) {} catch {
                _dropLogs();
            }
        } else {
            _updateTerms(resourceId, resource, termsSeed);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Bookings
    // ---------------------------------------------------------------------------------------------

    /// @dev Books a listed resource with free capacity in one of the tokens it accepts, at a fresh
    /// price. Three times out of four an oracle confirms provisioning right away, as a healthy
    /// provider would; the rest wait for `confirmProvisioning` or time out.
    function book(
        uint256 consumerSeed,
        uint256 resourceSeed,
        uint256 hoursSeed,
        uint256 tokenSeed,
        uint256 priceSeed,
        uint256 extraSeed
    ) external step {
        address consumer = consumers[consumerSeed % ACTORS];
        uint256 resourceId = _findBookableResource(resourceSeed);
        if (resourceId == 0) return;
        IResourceMarketplace.Resource memory resource = marketplace.getResource(resourceId);
        address token = _acceptedToken(resource.acceptedTokens, tokenSeed);
        uint16 hoursBooked = uint16(_bound(hoursSeed, resource.minHours, resource.maxHours));
        _refreshPrice(token, priceSeed);
        (uint256 amount, ) = priceOracle.quote(token, uint256(resource.pricePerHourUsdE8) * hoursBooked);

        // Overpaying in ETH must be refunded: send up to one ether too much.
        uint256 value = 0;
        if (token == address(0)) {
            value = amount + _bound(extraSeed >> 8, 0, 1 ether);
            vm.deal(consumer, consumer.balance + value);
        } else {
            MockERC20(token).mint(consumer, amount);
        }
        uint256 balanceBefore = _balanceOf(token, consumer);

        vm.prank(consumer);
        try marketplace.book{value: value}(resourceId, hoursBooked, token, amount, ENCRYPTION_KEY) returns (
            uint256 bookingId
        ) {
            uint256 paid = balanceBefore - _balanceOf(token, consumer);
            if (paid != amount) _violation("book: consumer paid other than the quote");
            if (escrow.depositOf(bookingId).amount != amount) _violation("book: escrow deposit differs from quote");
            tokenGhosts[token].bookingDeposits += paid;
            BookingGhost storage ghost = bookingGhosts[bookingId];
            ghost.token = token;
            ghost.consumer = consumer;
            ghost.provider = resource.provider;
            ghost.deposit = amount;
            ++stats.booked;
            if (extraSeed % 4 != 0) _confirm(bookingId, oracles[extraSeed % ACTORS]);
        } catch {
            _dropLogs();
            if (!marketplace.paused()) _violation("book: a valid booking was refused");
        }
    }

    /// @dev Mostly confirms a booking still within its provisioning deadline; now and then any
    /// requested booking, which must be refused once the deadline has passed.
    function confirmProvisioning(uint256 oracleSeed, uint256 bookingSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, bookingSeed % 4 == 0 ? _isRequested : _isConfirmable);
        if (bookingId == 0) return;
        _confirm(bookingId, oracles[oracleSeed % ACTORS]);
    }

    /// @dev The consumer may cancel a booking that is not provisioned, at any time.
    function cancelBooking(uint256 bookingSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isRequested);
        if (bookingId == 0) return;
        _cancel(bookingId, bookingGhosts[bookingId].consumer);
    }

    /// @dev Anyone may cancel once provisioning has timed out; waits for the deadline if needed.
    function cancelAfterTimeout(uint256 bookingSeed, uint256 keeperSeed, uint256 delaySeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isRequested);
        if (bookingId == 0) return;
        uint256 deadline = _provisionDeadline(bookingId);
        if (currentTime <= deadline) _warpTo(deadline + 1 + _bound(delaySeed, 0, 600));
        _cancel(bookingId, outsiders[keeperSeed % OUTSIDERS]);
    }

    /// @dev Either party ends an active booking early; a party to other bookings tries first and fails.
    function terminateBooking(uint256 bookingSeed, uint256 callerSeed, uint256 intruderSeed) external step {
        bool byProvider = callerSeed % 2 == 1;
        uint256 bookingId = _findBooking(bookingSeed, _isTerminable);
        if (bookingId == 0) return;
        BookingGhost storage ghost = bookingGhosts[bookingId];
        _tryAsIntruder(
            bookingId,
            intruderSeed,
            abi.encodeCall(IResourceMarketplace.terminateBooking, (bookingId)),
            "terminate"
        );

        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 refund =
            ghost.deposit -
                ghost.deposit.streamed(currentTime - stream.startedAt, uint256(stream.hoursBooked) * 1 hours);
        uint256 slash = byProvider ? _expectedSlash(bookingId) : 0;
        uint256 owedBefore = escrow.owed(ghost.consumer, ghost.token);

        vm.prank(byProvider ? ghost.provider : ghost.consumer);
        try marketplace.terminateBooking(bookingId) {
            if (escrow.owed(ghost.consumer, ghost.token) - owedBefore != refund + slash) {
                _violation("terminate: consumer not credited the unstreamed value and the slash");
            }
            ++stats.terminated;
        } catch {
            _dropLogs();
            _violation("terminate: a party could not end an active booking");
        }
    }

    /// @dev Anyone completes a booking that has ended; most of the time waits for the end first.
    function completeBooking(uint256 bookingSeed, uint256 callerSeed, uint256 waitSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isActive);
        if (bookingId == 0) return;
        uint256 endsAt = escrow.streamOf(bookingId).endsAt;
        if (currentTime < endsAt && waitSeed % 4 != 0) _warpTo(endsAt + _bound(waitSeed >> 8, 0, 600));
        bool ended = currentTime >= endsAt;

        vm.prank(_anyone(callerSeed));
        try marketplace.completeBooking(bookingId) {
            if (!ended) _violation("complete: accepted before the booking ended");
            ++stats.completed;
        } catch {
            _dropLogs();
            if (ended) _violation("complete: refused after the booking ended");
        }
    }

    /// @dev The consumer rates a completed booking; scores 0 and 6 are out of range, and a booking
    /// can be rated once. Another consumer tries first and must fail.
    function rateBooking(uint256 bookingSeed, uint256 scoreSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isCompleted);
        if (bookingId == 0) return;
        BookingGhost storage ghost = bookingGhosts[bookingId];
        uint8 score = uint8(scoreSeed % 7);
        _tryAsIntruder(bookingId, scoreSeed, abi.encodeCall(IResourceMarketplace.rateBooking, (bookingId, 3)), "rate");
        bool accepted = score >= 1 && score <= 5 && !reputation.isRated(bookingId);

        vm.prank(ghost.consumer);
        try marketplace.rateBooking(bookingId, score) {
            if (!accepted) _violation("rate: accepted an invalid or repeated rating");
            IReputationSystem.Record storage provider = providerGhosts[ghost.provider];
            ++provider.ratingsCount;
            provider.ratingsSum += score;
            ++stats.ratings;
        } catch {
            _dropLogs();
            if (accepted) _violation("rate: refused a valid first rating");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // SLA reports
    // ---------------------------------------------------------------------------------------------

    /// @dev Oracles sign a batch of one or two reports with random uptime and latency. The first
    /// report is for the next reportable period of a started booking (waiting for it to end if
    /// needed), or now and then for any period; the second repeats it, reports the period after it,
    /// or reports another booking. A single signature, no samples or a bad period must revert the
    /// whole batch; otherwise every reportable period settles and repeats are skipped.
    function submitReports(
        uint256 bookingSeed,
        uint256 measureSeed,
        uint256 signersSeed,
        uint256 shapeSeed,
        uint256 submitterSeed
    ) external step {
        uint256 bookingId = _findBooking(bookingSeed, _hasOpenPeriod);
        if (bookingId == 0) bookingId = _findBooking(bookingSeed, _isStarted);
        if (bookingId == 0) return;
        uint256 period = _nextReportablePeriod(bookingId, shapeSeed);
        if (shapeSeed % 8 == 0) period = _bound(shapeSeed >> 8, 0, _periodCount(bookingId) + 1);

        ISLAEnforcement.SlaReport[] memory reports = _reportBatch(bookingId, period, bookingSeed, shapeSeed);
        for (uint256 i = 0; i < reports.length; ++i) {
            uint256 seed = uint256(keccak256(abi.encode(measureSeed, i)));
            reports[i].uptimeBps = _uptime(seed);
            reports[i].p95LatencyMs = uint32(_bound(seed >> 32, 0, 600));
            reports[i].sampleCount = seed % 32 == 0 ? 0 : uint32(_bound(seed >> 64, 1, 60));
        }
        // Mostly the quorum of two, sometimes all three, sometimes one too few.
        uint256 signerCount = signersSeed % 8 == 0 ? 1 : (signersSeed % 8 == 1 ? 3 : 2);
        bytes[][] memory signatures = new bytes[][](reports.length);
        for (uint256 i = 0; i < reports.length; ++i) {
            signatures[i] = _sign(reports[i], signerCount, signersSeed >> 8);
        }
        (bool valid, uint256 expectedSettled) = _predict(reports, signerCount);

        vm.prank(_anyone(submitterSeed));
        try sla.submitReports(reports, signatures) returns (uint256 settled) {
            if (!valid) _violation("sla: accepted a batch with an invalid report");
            else if (settled != expectedSettled) _violation("sla: settled a different number of periods");
            stats.periodsSettled += settled;
        } catch {
            _dropLogs();
            if (valid) _violation("sla: refused a batch of reportable periods");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Withdrawals and claims
    // ---------------------------------------------------------------------------------------------

    function withdrawEarnings(uint256 providerSeed, uint256 bookingSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        // Mostly a booking with something to withdraw; otherwise any, which must then revert.
        uint256 bookingId = bookingSeed % 4 == 0 ? 0 : _findBookingOf(provider, bookingSeed, true);
        if (bookingId == 0) bookingId = _findBookingOf(provider, bookingSeed, false);
        if (bookingId == 0) return;
        address token = bookingGhosts[bookingId].token;
        (uint256 gross, uint256 fee) = _withdrawable(bookingId);
        uint256 walletBefore = _balanceOf(token, provider);
        uint256 feesBefore = escrow.owed(treasury, token);

        vm.prank(provider);
        try escrow.withdrawEarnings(bookingId) {
            if (gross == 0) _violation("withdraw: paid out with nothing withdrawable");
            uint256 received = _balanceOf(token, provider) - walletBefore;
            if (received != gross - fee) _violation("withdraw: provider received other than gross - fee");
            if (escrow.owed(treasury, token) - feesBefore != fee) _violation("withdraw: treasury fee mismatch");
            tokenGhosts[token].providerPayouts += received;
            ++stats.withdrawals;
        } catch {
            _dropLogs();
            if (gross != 0) _violation("withdraw: provider could not withdraw its earnings");
        }
    }

    /// @dev Withdraws from up to five bookings at once, sometimes listing one twice (the second time
    /// is worth nothing) or slipping in another provider's booking (the whole batch must revert).
    function withdrawEarningsBatch(uint256 providerSeed, uint256 idsSeed, uint256 lengthSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        uint256 length = _bound(lengthSeed, 1, MAX_BATCH);
        uint256[] memory bookingIds = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) {
            bookingIds[i] = _findBookingOf(provider, uint256(keccak256(abi.encode(idsSeed, i))), false);
            if (bookingIds[i] == 0) return;
        }
        bool foreign = idsSeed % 10 == 0 && _foreignBooking(provider, idsSeed) != 0;
        if (foreign) bookingIds[length - 1] = _foreignBooking(provider, idsSeed);

        uint256[3] memory expected;
        uint256[3] memory fees;
        uint256[3] memory walletBefore;
        uint256[3] memory feesBefore;
        uint256 total = 0;
        for (uint256 i = 0; i < length; ++i) {
            if (_seenBefore(bookingIds, i)) continue;
            (uint256 gross, uint256 fee) = _withdrawable(bookingIds[i]);
            uint256 t = _tokenIndex(bookingGhosts[bookingIds[i]].token);
            expected[t] += gross - fee;
            fees[t] += fee;
            total += gross;
        }
        for (uint256 t = 0; t < tokens.length; ++t) {
            walletBefore[t] = _balanceOf(tokens[t], provider);
            feesBefore[t] = escrow.owed(treasury, tokens[t]);
        }

        vm.prank(provider);
        try escrow.withdrawEarningsBatch(bookingIds) {
            if (foreign || total == 0) _violation("batch: accepted a foreign booking or nothing to withdraw");
            for (uint256 t = 0; t < tokens.length; ++t) {
                uint256 received = _balanceOf(tokens[t], provider) - walletBefore[t];
                if (received != expected[t]) _violation("batch: provider received other than gross - fee");
                if (escrow.owed(treasury, tokens[t]) - feesBefore[t] != fees[t]) _violation("batch: fee mismatch");
                tokenGhosts[tokens[t]].providerPayouts += received;
            }
            ++stats.batchWithdrawals;
        } catch {
            _dropLogs();
            if (!foreign && total != 0) _violation("batch: provider could not withdraw its earnings");
        }
    }

    /// @dev Mostly an account and token with something owed; otherwise any, which must then revert.
    function claim(uint256 accountSeed, uint256 tokenSeed) external step {
        (address account, address token) = _findPair(
            _claimants(),
            accountSeed,
            tokenSeed,
            accountSeed % 4 == 0 ? _anything : _isOwed
        );
        uint256 owed = escrow.owed(account, token);
        uint256 walletBefore = _balanceOf(token, account);

        vm.prank(account);
        try escrow.claim(token) {
            uint256 received = _balanceOf(token, account) - walletBefore;
            if (owed == 0 || received != owed) _violation("claim: paid other than what was owed");
            if (escrow.owed(account, token) != 0) _violation("claim: balance left after claiming");
            tokenGhosts[token].claims += received;
            if (account == treasury) tokenGhosts[token].treasuryClaims += received;
            ++stats.claims;
        } catch {
            _dropLogs();
            if (owed != 0) _violation("claim: could not claim what was owed");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Bonds
    // ---------------------------------------------------------------------------------------------

    function depositBond(uint256 providerSeed, uint256 tokenSeed, uint256 amountSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        uint256 t = tokenSeed % tokens.length;
        address token = tokens[t];
        uint256 amount = _bound(amountSeed, 1, [uint256(2 ether), 1_000e18, 1_000e6][t]);
        uint256 value = 0;
        if (token == address(0)) {
            value = amount;
            vm.deal(provider, provider.balance + amount);
        } else {
            MockERC20(token).mint(provider, amount);
        }
        uint256 walletBefore = _balanceOf(token, provider);
        uint256 bondBefore = escrow.bondOf(provider, token).amount;

        vm.prank(provider);
        try escrow.depositBond{value: value}(token, amount) {
            uint256 paid = walletBefore - _balanceOf(token, provider);
            if (paid != amount || escrow.bondOf(provider, token).amount - bondBefore != amount) {
                _violation("bond: deposit not credited in full");
            }
            tokenGhosts[token].bondDeposits += paid;
            ++stats.bondsDeposited;
        } catch {
            _dropLogs();
            _violation("bond: deposit in a payment token refused");
        }
    }

    function requestBondWithdrawal(uint256 providerSeed, uint256 tokenSeed, uint256 amountSeed) external step {
        (address provider, address token) = _findPair(allProviders(), providerSeed, tokenSeed, _isBonded);
        IEscrowManager.Bond memory bond = escrow.bondOf(provider, token);
        if (bond.amount == 0) return;
        uint256 amount = _bound(amountSeed, 1, bond.amount);

        vm.prank(provider);
        try escrow.requestBondWithdrawal(token, amount) {
            IEscrowManager.Bond memory after_ = escrow.bondOf(provider, token);
            if (after_.amount + after_.unbonding != uint256(bond.amount) + bond.unbonding) {
                _violation("bond: unbonding request changed the total");
            }
        } catch {
            _dropLogs();
            _violation("bond: unbonding request refused");
        }
    }

    /// @dev Withdraws unbonded funds, waiting out the unbonding delay half of the time.
    function withdrawBond(uint256 providerSeed, uint256 tokenSeed, uint256 waitSeed) external step {
        bool wait = waitSeed % 2 == 0;
        (address provider, address token) = _findPair(allProviders(), providerSeed, tokenSeed, _isUnbonding);
        IEscrowManager.Bond memory bond = escrow.bondOf(provider, token);
        if (bond.unbonding == 0) return;
        if (wait && currentTime < bond.unbondingAvailableAt) _warpTo(bond.unbondingAvailableAt);
        bool available = currentTime >= bond.unbondingAvailableAt;
        uint256 walletBefore = _balanceOf(token, provider);

        vm.prank(provider);
        try escrow.withdrawBond(token) {
            if (!available) _violation("bond: withdrawn before the unbonding delay");
            uint256 received = _balanceOf(token, provider) - walletBefore;
            if (received != bond.unbonding) _violation("bond: withdrawal other than the unbonding amount");
            tokenGhosts[token].bondWithdrawals += received;
            ++stats.bondsWithdrawn;
        } catch {
            _dropLogs();
            if (available) _violation("bond: unbonded funds could not be withdrawn");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Time, donations and governance
    // ---------------------------------------------------------------------------------------------

    /// @dev Mostly short steps (SLA periods are a minute, report windows five), sometimes hours.
    function warp(uint256 seed) external step {
        _warpTo(currentTime + (seed % 4 == 0 ? _bound(seed >> 8, 600, 3 hours) : _bound(seed >> 8, 1, 600)));
    }

    /// @dev Tokens sent to the escrow without a call (or ETH forced in) belong to no one and must not
    /// disturb the accounting.
    function donate(uint256 tokenSeed, uint256 amountSeed) external step {
        address token = tokens[tokenSeed % tokens.length];
        uint256 amount = _bound(amountSeed, 1, 1e18);
        if (token == address(0)) {
            vm.deal(address(escrow), address(escrow).balance + amount);
        } else {
            MockERC20(token).mint(address(escrow), amount);
        }
        tokenGhosts[token].donations += amount;
    }

    /// @dev Governance changes the fee, the bond slash and the unbonding delay, and the guardian
    /// pauses and resumes new bookings. Changing the report window is refused.
    function govern(uint256 feeSeed, uint256 slashSeed, uint256 delaySeed, uint256 pauseSeed) external step {
        IEscrowManager.Settings memory settings = escrow.settings();
        settings.protocolFeeBps = uint16(_bound(feeSeed, 0, escrow.MAX_PROTOCOL_FEE_BPS()));
        settings.bondSlashBps = uint16(_bound(slashSeed, 0, BPS));
        settings.unbondingDelaySeconds = uint32(_bound(delaySeed, 0, 2 hours));
        vm.prank(admin);
        try escrow.updateSettings(settings) {} catch {
            _dropLogs();
            _violation("govern: valid settings refused");
        }
        settings.reportWindowSeconds += uint32(_bound(delaySeed, 1, 30 days - settings.reportWindowSeconds));
        vm.prank(admin);
        try escrow.updateSettings(settings) {
            _violation("govern: report window changed");
        } catch {
            _dropLogs();
        }
        if (pauseSeed % 4 == 0) {
            bool paused = marketplace.paused();
            vm.prank(guardian);
            if (paused) marketplace.unpause();
            else marketplace.pause();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Outsiders
    // ---------------------------------------------------------------------------------------------

    /// @notice An outsider (no role, no booking, no resource, no funds) calls every state-changing
    /// function of the protocol with random arguments. Every call must revert, and nothing anyone
    /// holds or is owed may change.
    function outsider(uint256 outsiderSeed, uint256 bookingSeed, uint256 argSeed) external step {
        uint256 index = outsiderSeed % OUTSIDERS;
        uint256 bookingId = _bound(bookingSeed, 0, marketplace.bookingCount() + 1);
        address[] memory accounts = allAccounts();
        bytes32 before = outsiderActor.fingerprint(accounts);

        (uint256 successes, string memory firstSuccess) = outsiderActor.attack(
            outsiders[index],
            outsiderKeys[index],
            bookingId,
            argSeed,
            currentTime
        );
        if (successes != 0) _outsiderViolation(string.concat("outsider succeeded: ", firstSuccess));
        if (outsiderActor.fingerprint(accounts) != before) _outsiderViolation("an outsider changed balances or state");
        ++stats.outsiderAttempts;
    }

    // ---------------------------------------------------------------------------------------------
    // Views for the invariant suites
    // ---------------------------------------------------------------------------------------------

    function bookingGhost(uint256 bookingId) external view returns (BookingGhost memory) {
        return bookingGhosts[bookingId];
    }

    function tokenGhost(address token) external view returns (TokenGhost memory) {
        return tokenGhosts[token];
    }

    function providerGhost(address provider) external view returns (IReputationSystem.Record memory) {
        return providerGhosts[provider];
    }

    function statistics() external view returns (Stats memory) {
        return stats;
    }

    function allTokens() external view returns (address[] memory) {
        return _list3(tokens);
    }

    function allProviders() public view returns (address[] memory) {
        return _list3(providers);
    }

    function allOutsiders() external view returns (address[] memory list) {
        list = new address[](OUTSIDERS);
        for (uint256 i = 0; i < OUTSIDERS; ++i) list[i] = outsiders[i];
    }

    /// @notice Every address the protocol could owe something to in these runs.
    function allAccounts() public view returns (address[] memory list) {
        list = new address[](3 * ACTORS + OUTSIDERS + 3);
        uint256 n = 0;
        for (uint256 i = 0; i < ACTORS; ++i) {
            list[n++] = providers[i];
            list[n++] = consumers[i];
            list[n++] = oracles[i];
        }
        for (uint256 i = 0; i < OUTSIDERS; ++i) list[n++] = outsiders[i];
        list[n++] = treasury;
        list[n++] = admin;
        list[n++] = guardian;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals: actions
    // ---------------------------------------------------------------------------------------------

    function _list(
        address provider,
        uint64 price,
        uint16 capacity,
        uint16 maxHours,
        uint256 tokenMask,
        uint16 uptimeTarget,
        uint32 maxLatency
    ) private {
        IResourceMarketplace.ResourceParams memory params = IResourceMarketplace.ResourceParams({
            metadataCid: CID,
            region: "eu-west-1",
            kind: IResourceMarketplace.ResourceKind.VirtualMachine,
            terms: _terms(price, capacity, maxHours, tokenMask, uptimeTarget, maxLatency)
        });
        vm.prank(provider);
        try marketplace.listResource(params) {
            ++stats.listed;
        } catch {
            _dropLogs();
            if (!marketplace.paused()) _violation("list: a registered provider could not list");
        }
    }

    function _terms(
        uint64 price,
        uint16 capacity,
        uint16 maxHours,
        uint256 tokenMask,
        uint16 uptimeTarget,
        uint32 maxLatency
    ) private view returns (IResourceMarketplace.ResourceTerms memory terms) {
        uint256 accepted = 0;
        for (uint256 t = 0; t < tokens.length; ++t) {
            if ((tokenMask >> t) & 1 == 1) ++accepted;
        }
        terms.acceptedTokens = new address[](accepted);
        accepted = 0;
        for (uint256 t = 0; t < tokens.length; ++t) {
            if ((tokenMask >> t) & 1 == 1) terms.acceptedTokens[accepted++] = tokens[t];
        }
        terms.pricePerHourUsdE8 = price;
        terms.capacity = capacity;
        terms.minHours = 1;
        terms.maxHours = maxHours;
        terms.uptimeTargetBps = uptimeTarget;
        terms.maxLatencyMs = maxLatency;
    }

    /// @dev New terms for a resource; must revert exactly when they loosen the SLA of a booked resource.
    function _updateTerms(uint256 resourceId, IResourceMarketplace.Resource memory resource, uint256 seed) private {
        uint16 uptimeTarget = uint16(_bound(seed, 9_000, 9_990));
        uint32 maxLatency = seed % 3 == 0 ? 0 : uint32(_bound(seed >> 16, 100, 500));
        IResourceMarketplace.ResourceTerms memory terms = _terms(
            uint64(_bound(seed >> 32, 1e6, 50e8)),
            uint16(_bound(seed >> 64, 1, 3)),
            uint16(_bound(seed >> 80, 1, 3)),
            ((seed >> 96) % 7) + 1,
            uptimeTarget,
            maxLatency
        );
        bool loosened =
            uptimeTarget < resource.uptimeTargetBps ||
                (resource.maxLatencyMs != 0 && (maxLatency == 0 || maxLatency > resource.maxLatencyMs));
        bool allowed =
            resource.status != IResourceMarketplace.ResourceStatus.Delisted &&
                !(loosened && resource.activeBookings != 0);

        vm.prank(resource.provider);
        try marketplace.updateResourceTerms(resourceId, terms) {
            if (!allowed) _violation("terms: loosened the SLA of a booked resource");
        } catch {
            _dropLogs();
            if (allowed) _violation("terms: valid new terms refused");
        }
    }

    function _confirm(uint256 bookingId, address oracle) private {
        uint256 deadline = _provisionDeadline(bookingId);
        uint16 hoursBooked = marketplace.getBooking(bookingId).hoursBooked;

        vm.prank(oracle);
        try marketplace.confirmProvisioning(bookingId, CID) {
            if (currentTime > deadline) _violation("confirm: accepted after the provisioning deadline");
            IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
            if (stream.startedAt != currentTime || stream.endsAt != currentTime + uint256(hoursBooked) * 1 hours) {
                _violation("confirm: stream does not cover the booked hours from now");
            }
            ++stats.confirmed;
        } catch {
            _dropLogs();
            if (currentTime <= deadline) _violation("confirm: refused before the provisioning deadline");
        }
    }

    function _cancel(uint256 bookingId, address caller) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        bool timedOut = currentTime > _provisionDeadline(bookingId);
        uint256 slash = timedOut ? _expectedSlash(bookingId) : 0;
        uint256 owedBefore = escrow.owed(ghost.consumer, ghost.token);

        vm.prank(caller);
        try marketplace.cancelBooking(bookingId) {
            if (escrow.owed(ghost.consumer, ghost.token) - owedBefore != ghost.deposit + slash) {
                _violation("cancel: consumer not credited the deposit and the slash");
            }
            if (timedOut) ++stats.timedOut;
            else ++stats.cancelled;
        } catch {
            _dropLogs();
            _violation("cancel: a cancellable booking could not be cancelled");
        }
    }

    /// @dev A consumer or provider who is not a party to the booking tries `call` on the marketplace.
    function _tryAsIntruder(uint256 bookingId, uint256 seed, bytes memory call, string memory action) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        address intruder = seed % 2 == 0 ? consumers[seed % ACTORS] : providers[seed % ACTORS];
        if (intruder == ghost.consumer || intruder == ghost.provider) return;
        vm.prank(intruder);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = address(marketplace).call(call);
        if (ok) _violation(string.concat(action, ": someone else's booking was changed"));
        else _dropLogs();
    }

    /// @dev Reports for `period` of `bookingId`, then maybe a repeat, the next period, or the next
    /// reportable period of another booking.
    function _reportBatch(
        uint256 bookingId,
        uint256 period,
        uint256 bookingSeed,
        uint256 shapeSeed
    ) private view returns (ISLAEnforcement.SlaReport[] memory reports) {
        uint256 shape = (shapeSeed >> 4) % 4;
        uint256 otherId = shape == 3 ? _findBooking(bookingSeed >> 32, _isStarted) : 0;
        uint256 otherPeriod = otherId == 0 ? 0 : _firstOpenPeriod(otherId);
        // Only periods that can settle now are added, so that the batch as a whole can go through.
        bool second =
            shape == 1 ||
                (shape == 2 && _reportOutcome(bookingId, period + 1, period + 1) == ReportOutcome.Settles) ||
                (otherId != 0 &&
                    otherId != bookingId &&
                    _reportOutcome(otherId, otherPeriod, escrow.streamOf(otherId).settledPeriods) ==
                        ReportOutcome.Settles);
        reports = new ISLAEnforcement.SlaReport[](second ? 2 : 1);
        reports[0].bookingId = bookingId;
        reports[0].period = uint32(period);
        if (!second) return reports;
        reports[1].bookingId = shape == 3 ? otherId : bookingId;
        reports[1].period = uint32(
            shape == 1
                ? period
                : shape == 2
                    ? period + 1
                    : otherPeriod
        );
    }

    /// @dev Whether the batch should go through, and how many periods it should settle, by the SLA
    /// rules as documented: reports settle in order, within the period's report window, once.
    function _predict(
        ISLAEnforcement.SlaReport[] memory reports,
        uint256 signerCount
    ) private view returns (bool valid, uint256 settled) {
        if (signerCount < sla.quorum()) return (false, 0);
        uint256[] memory settledPeriods = new uint256[](reports.length);
        for (uint256 i = 0; i < reports.length; ++i) {
            if (reports[i].sampleCount == 0) return (false, 0);
            settledPeriods[i] = escrow.streamOf(reports[i].bookingId).settledPeriods;
            for (uint256 j = 0; j < i; ++j) {
                if (reports[j].bookingId == reports[i].bookingId && settledPeriods[j] > settledPeriods[i]) {
                    settledPeriods[i] = settledPeriods[j];
                }
            }
            ReportOutcome outcome = _reportOutcome(reports[i].bookingId, reports[i].period, settledPeriods[i]);
            if (outcome == ReportOutcome.Reverts) return (false, 0);
            if (outcome == ReportOutcome.Settles) {
                ++settled;
                settledPeriods[i] = uint256(reports[i].period) + 1;
            }
        }
        return (true, settled);
    }

    function _reportOutcome(
        uint256 bookingId,
        uint256 period,
        uint256 settledPeriods
    ) private view returns (ReportOutcome) {
        if (period < settledPeriods) return ReportOutcome.Skipped;
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 window = escrow.settings().reportWindowSeconds;
        uint256 active = stream.endsAt - stream.startedAt;
        uint256 nowOffset = currentTime - stream.startedAt;
        if (period >= active.periodCount(periodSeconds)) return ReportOutcome.Reverts;
        uint256 end = period.periodEnd(periodSeconds, active);
        if (nowOffset < end || nowOffset >= end + window) return ReportOutcome.Reverts;
        if (period > settledPeriods && nowOffset < (period - 1).periodEnd(periodSeconds, active) + window) {
            return ReportOutcome.Reverts;
        }
        return ReportOutcome.Settles;
    }

    /// @dev First unsettled period whose report window is still open (it may not have ended yet).
    function _firstOpenPeriod(uint256 bookingId) private view returns (uint256 period) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 window = escrow.settings().reportWindowSeconds;
        uint256 active = stream.endsAt - stream.startedAt;
        uint256 count = active.periodCount(periodSeconds);
        uint256 nowOffset = currentTime - stream.startedAt;
        period = stream.settledPeriods;
        while (period < count && period.periodEnd(periodSeconds, active) + window <= nowOffset) ++period;
    }

    /// @dev The period an oracle would report next, waiting until it has ended.
    function _nextReportablePeriod(uint256 bookingId, uint256 seed) private returns (uint256 period) {
        period = _firstOpenPeriod(bookingId);
        if (period >= _periodCount(bookingId)) return period;
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 periodSeconds = escrow.settings().slaPeriodSeconds;
        uint256 end = stream.startedAt + period.periodEnd(periodSeconds, stream.endsAt - stream.startedAt);
        if (currentTime < end) {
            _warpTo(end + _bound(seed >> 16, 0, escrow.settings().reportWindowSeconds - 1));
        }
    }

    function _sign(
        ISLAEnforcement.SlaReport memory report,
        uint256 signerCount,
        uint256 seed
    ) private view returns (bytes[] memory signatures) {
        bytes32 digest = sla.reportDigest(report);
        signatures = new bytes[](signerCount);
        // Leave out one oracle when two sign; keep ascending address order.
        uint256 skipped =
            signerCount == 2
                ? seed % ACTORS
                : signerCount == 1
                    ? ACTORS
                    : ACTORS + 1;
        uint256 n = 0;
        for (uint256 i = 0; i < ACTORS && n < signerCount; ++i) {
            if (i == skipped) continue;
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(oracleKeys[i], digest);
            signatures[n++] = abi.encodePacked(r, s, v);
        }
    }

    /// @dev Uptime spread over every credit tier: perfect, just meeting typical targets, 99–99.5 %,
    /// 95–99 %, and below 95 %.
    function _uptime(uint256 seed) private pure returns (uint16) {
        uint256 bucket = seed % 5;
        if (bucket == 0) return 10_000;
        if (bucket == 1) return uint16(_bound(seed >> 8, 9_950, 9_999));
        if (bucket == 2) return uint16(_bound(seed >> 8, 9_900, 9_949));
        if (bucket == 3) return uint16(_bound(seed >> 8, 9_500, 9_899));
        return uint16(_bound(seed >> 8, 0, 9_499));
    }

    // ---------------------------------------------------------------------------------------------
    // Internals: ghost bookkeeping
    // ---------------------------------------------------------------------------------------------

    function _processLogs(Vm.Log[] memory logs) private {
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.topics.length == 0) continue;
            bytes32 topic = log.topics[0];
            if (log.emitter == address(escrow)) {
                _processEscrowLog(log, topic);
            } else if (log.emitter == address(sla) && topic == ISLAEnforcement.SlaPeriodSettled.selector) {
                _processSettlement(log);
            } else if (log.emitter == address(marketplace)) {
                _processMarketplaceLog(log, topic);
            }
        }
    }

    function _processEscrowLog(Vm.Log memory log, bytes32 topic) private {
        if (topic == IEscrowManager.EarningsWithdrawn.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (uint256 gross, uint256 fee) = abi.decode(log.data, (uint256, uint256));
            ghost.providerGross += gross;
            ghost.fees += fee;
            tokenGhosts[ghost.token].feesCharged += fee;
            if (address(uint160(uint256(log.topics[3]))) != ghost.token) _violation("event: withdrawal token");
        } else if (topic == IEscrowManager.ConsumerRefunded.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (uint256 amount, IEscrowManager.RefundReason reason) = abi.decode(
                log.data,
                (uint256, IEscrowManager.RefundReason)
            );
            if (reason == IEscrowManager.RefundReason.SlaCredit) ghost.slaCredits += amount;
            else ghost.refunds += amount;
            if (
                address(uint160(uint256(log.topics[2]))) != ghost.consumer ||
                address(uint160(uint256(log.topics[3]))) != ghost.token
            ) _violation("event: refund to someone else or in another token");
        } else if (topic == IEscrowManager.BondSlashed.selector) {
            BookingGhost storage ghost = bookingGhosts[uint256(log.topics[1])];
            (address token, uint256 amount) = abi.decode(log.data, (address, uint256));
            ghost.slashed += amount;
            tokenGhosts[token].bondsSlashed += amount;
            if (token != ghost.token || address(uint160(uint256(log.topics[3]))) != ghost.consumer) {
                _violation("event: slash to someone else or in another token");
            }
        }
    }

    /// @dev Counts each (booking, period) settlement and checks its value and credit against the
    /// stream and the credit policy as deployed.
    function _processSettlement(Vm.Log memory log) private {
        uint256 bookingId = uint256(log.topics[1]);
        uint256 period = uint256(log.topics[2]);
        Settled memory settled = _decodeSettled(log.data);
        uint256 settlements = ++settlementCount[bookingId][period];
        if (settlements > maxSettlementsPerPeriod) maxSettlementsPerPeriod = settlements;
        ++settlementsOf[bookingId];

        (, uint16 targetBps, uint32 maxLatencyMs) = marketplace.slaTerms(bookingId);
        (bool expectedCompliant, uint16 expectedCreditBps) = _creditPolicy(
            settled.uptimeBps,
            settled.p95LatencyMs,
            targetBps,
            maxLatencyMs
        );
        if (settled.periodValue != _expectedPeriodValue(bookingId, period)) {
            _violation("sla: period value differs from the stream");
        }
        if (settled.compliant != expectedCompliant || settled.creditBps != expectedCreditBps) {
            _violation("sla: wrong credit tier");
        }
        if (settled.credit != (settled.periodValue * settled.creditBps) / BPS) {
            _violation("sla: credit is not its share of the period");
        }

        IReputationSystem.Record storage provider = providerGhosts[bookingGhosts[bookingId].provider];
        if (settled.compliant) {
            ++provider.periodsCompliant;
        } else {
            ++provider.periodsViolated;
            provider.creditBpsTotal += settled.creditBps;
        }
    }

    /// @dev The data of a SlaPeriodSettled log.
    struct Settled {
        uint16 uptimeBps;
        uint32 p95LatencyMs;
        bool compliant;
        uint16 creditBps;
        uint256 periodValue;
        uint256 credit;
    }

    function _decodeSettled(bytes memory data) private pure returns (Settled memory settled) {
        (
            settled.uptimeBps,
            settled.p95LatencyMs,
            ,
            settled.compliant,
            settled.creditBps,
            settled.periodValue,
            settled.credit
        ) = abi.decode(data, (uint16, uint32, uint32, bool, uint16, uint256, uint256));
    }

    function _expectedPeriodValue(uint256 bookingId, uint256 period) private view returns (uint256) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        return
            bookingGhosts[bookingId].deposit.periodValue(
                uint256(stream.hoursBooked) * 1 hours,
                period,
                escrow.settings().slaPeriodSeconds,
                stream.endsAt - stream.startedAt
            );
    }

    function _processMarketplaceLog(Vm.Log memory log, bytes32 topic) private {
        if (topic == IResourceMarketplace.BookingCompleted.selector) {
            ++providerGhosts[bookingGhosts[uint256(log.topics[1])].provider].bookingsCompleted;
        } else if (topic == IResourceMarketplace.BookingCancelled.selector) {
            if (abi.decode(log.data, (bool)))
                ++providerGhosts[bookingGhosts[uint256(log.topics[1])].provider].bookingsFailed;
        } else if (topic == IResourceMarketplace.BookingTerminated.selector) {
            (bool byProvider, ) = abi.decode(log.data, (bool, uint256));
            if (byProvider) ++providerGhosts[bookingGhosts[uint256(log.topics[1])].provider].bookingsFailed;
        }
    }

    /// @dev After every action: statuses move only along the lifecycle, the escrow agrees with the
    /// marketplace, final statuses are remembered, and settled periods never go back.
    function _checkBookings() private {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            BookingGhost storage ghost = bookingGhosts[id];
            IResourceMarketplace.BookingStatus status = marketplace.getBooking(id).status;
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            if (!_isAllowedTransition(ghost.lastStatus, status)) _violation("lifecycle: invalid status transition");
            if (!_escrowAgrees(status, stream)) _violation("lifecycle: escrow state disagrees with the booking");
            if (stream.settledPeriods < ghost.lastSettledPeriods) _violation("sla: settled periods went back");
            if (ghost.terminalStatus == IResourceMarketplace.BookingStatus.None && _isFinal(status)) {
                ghost.terminalStatus = status;
                ghost.terminalEndsAt = stream.endsAt;
            }
            ghost.lastStatus = status;
            ghost.lastSettledPeriods = stream.settledPeriods;
        }
    }

    /// @dev Whether `to` can follow `from` in the lifecycle, in one step or several (an action may
    /// book and confirm at once).
    function _isAllowedTransition(
        IResourceMarketplace.BookingStatus from,
        IResourceMarketplace.BookingStatus to
    ) private pure returns (bool) {
        if (from == to) return true;
        if (from == IResourceMarketplace.BookingStatus.None) return true;
        if (from == IResourceMarketplace.BookingStatus.Requested) return to != IResourceMarketplace.BookingStatus.None;
        if (from == IResourceMarketplace.BookingStatus.Active) {
            return
                to == IResourceMarketplace.BookingStatus.Completed ||
                to == IResourceMarketplace.BookingStatus.Terminated;
        }
        return false;
    }

    function _escrowAgrees(
        IResourceMarketplace.BookingStatus status,
        IEscrowManager.Stream memory stream
    ) private view returns (bool) {
        if (status == IResourceMarketplace.BookingStatus.Requested)
            return stream.state == IEscrowManager.StreamState.None;
        if (status == IResourceMarketplace.BookingStatus.Cancelled) {
            return stream.state == IEscrowManager.StreamState.Refunded;
        }
        if (status == IResourceMarketplace.BookingStatus.Terminated) {
            return stream.state == IEscrowManager.StreamState.Stopped;
        }
        if (status == IResourceMarketplace.BookingStatus.Active) {
            return stream.state == IEscrowManager.StreamState.Streaming;
        }
        if (status == IResourceMarketplace.BookingStatus.Completed) {
            return stream.state == IEscrowManager.StreamState.Streaming && currentTime >= stream.endsAt;
        }
        return true;
    }

    /// @dev The log recorder keeps the events of calls that reverted; they must not count.
    function _dropLogs() private {
        vm.getRecordedLogs();
    }

    function _violation(string memory what) private {
        if (violations == 0) firstViolation = what;
        ++violations;
    }

    function _outsiderViolation(string memory what) private {
        if (outsiderViolations == 0) firstOutsiderViolation = what;
        ++outsiderViolations;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals: queries
    // ---------------------------------------------------------------------------------------------

    /// @dev First booking from a random start that `matches`, or 0.
    function _findBooking(uint256 seed, function(uint256) view returns (bool) matches) private view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (matches(id)) return id;
        }
        return 0;
    }

    /// @dev A started booking of `provider` (the ones that can have earnings), with something
    /// withdrawable if `withEarnings`, or 0.
    function _findBookingOf(address provider, uint256 seed, bool withEarnings) private view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (bookingGhosts[id].provider != provider || !_isStarted(id)) continue;
            if (!withEarnings || escrow.withdrawable(id) != 0) return id;
        }
        return 0;
    }

    /// @dev First (account, token) pair from a random start that `matches`, or the starting pair.
    function _findPair(
        address[] memory accounts,
        uint256 accountSeed,
        uint256 tokenSeed,
        function(address, address) view returns (bool) matches
    ) private view returns (address, address) {
        uint256 pairs = accounts.length * tokens.length;
        uint256 start = (accountSeed % accounts.length) * tokens.length + (tokenSeed % tokens.length);
        for (uint256 i = 0; i < pairs; ++i) {
            uint256 pair = (start + i) % pairs;
            address account = accounts[pair / tokens.length];
            address token = tokens[pair % tokens.length];
            if (matches(account, token)) return (account, token);
        }
        return (accounts[start / tokens.length], tokens[start % tokens.length]);
    }

    function _anything(address, address) private pure returns (bool) {
        return true;
    }

    function _isOwed(address account, address token) private view returns (bool) {
        return escrow.owed(account, token) != 0;
    }

    function _isBonded(address provider, address token) private view returns (bool) {
        return escrow.bondOf(provider, token).amount != 0;
    }

    function _isUnbonding(address provider, address token) private view returns (bool) {
        return escrow.bondOf(provider, token).unbonding != 0;
    }

    function _foreignBooking(address provider, uint256 seed) private view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (bookingGhosts[id].provider != provider) return id;
        }
        return 0;
    }

    function _findBookableResource(uint256 seed) private view returns (uint256) {
        uint256 count = marketplace.resourceCount();
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            IResourceMarketplace.Resource memory resource = marketplace.getResource(id);
            if (
                resource.status == IResourceMarketplace.ResourceStatus.Listed &&
                resource.activeBookings < resource.capacity
            ) return id;
        }
        return 0;
    }

    function _isRequested(uint256 id) private view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Requested;
    }

    function _isConfirmable(uint256 id) private view returns (bool) {
        return _isRequested(id) && currentTime <= _provisionDeadline(id);
    }

    function _isActive(uint256 id) private view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Active;
    }

    function _isTerminable(uint256 id) private view returns (bool) {
        return _isActive(id) && currentTime < escrow.streamOf(id).endsAt;
    }

    function _isCompleted(uint256 id) private view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Completed;
    }

    function _isStarted(uint256 id) private view returns (bool) {
        IEscrowManager.StreamState state = escrow.streamOf(id).state;
        return state == IEscrowManager.StreamState.Streaming || state == IEscrowManager.StreamState.Stopped;
    }

    function _hasOpenPeriod(uint256 id) private view returns (bool) {
        return _isStarted(id) && _firstOpenPeriod(id) < _periodCount(id);
    }

    function _isFinal(IResourceMarketplace.BookingStatus status) private pure returns (bool) {
        return
            status == IResourceMarketplace.BookingStatus.Completed ||
            status == IResourceMarketplace.BookingStatus.Cancelled ||
            status == IResourceMarketplace.BookingStatus.Terminated;
    }

    function _periodCount(uint256 bookingId) private view returns (uint256) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        return uint256(stream.endsAt - stream.startedAt).periodCount(escrow.settings().slaPeriodSeconds);
    }

    function _provisionDeadline(uint256 bookingId) private view returns (uint256) {
        return uint256(marketplace.getBooking(bookingId).requestedAt) + marketplace.provisionTimeout();
    }

    /// @dev What the escrow says is withdrawable, with the fee the stream was opened at; also checks
    /// that the provider is never paid ahead of the stream.
    function _withdrawable(uint256 bookingId) private returns (uint256 gross, uint256 fee) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        gross = escrow.withdrawable(bookingId);
        fee = (gross * stream.feeBps) / BPS;
        uint256 until = currentTime < stream.endsAt ? currentTime : stream.endsAt;
        uint256 streamedSoFar = bookingGhosts[bookingId].deposit.streamed(
            until - stream.startedAt,
            uint256(stream.hoursBooked) * 1 hours
        );
        if (stream.debited + gross > streamedSoFar) _violation("withdraw: provider paid ahead of the stream");
    }

    /// @dev What a slash of the booking's provider should take: a share of the deposit, from the
    /// bond first and then from funds still unbonding, as far as they go.
    function _expectedSlash(uint256 bookingId) private view returns (uint256) {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        IEscrowManager.Bond memory bond = escrow.bondOf(ghost.provider, ghost.token);
        uint256 wanted = (ghost.deposit * escrow.settings().bondSlashBps) / BPS;
        uint256 available = uint256(bond.amount) + bond.unbonding;
        return wanted < available ? wanted : available;
    }

    /// @dev The credit policy as deployed, written out independently of SLAEnforcement.creditFor.
    function _creditPolicy(
        uint16 uptimeBps,
        uint32 p95LatencyMs,
        uint16 targetBps,
        uint32 maxLatencyMs
    ) private pure returns (bool compliant, uint16 creditBps) {
        compliant = uptimeBps >= targetBps && (maxLatencyMs == 0 || p95LatencyMs <= maxLatencyMs);
        if (compliant) return (true, 0);
        if (uptimeBps < 9_500) return (false, 10_000);
        if (uptimeBps < 9_900) return (false, 2_500);
        return (false, 1_000);
    }

    function _acceptedToken(uint64 mask, uint256 seed) private view returns (address) {
        for (uint256 i = 0; i < tokens.length; ++i) {
            uint256 t = (seed + i) % tokens.length;
            if ((mask >> t) & 1 == 1) return tokens[t];
        }
        return tokens[0];
    }

    function _tokenIndex(address token) private view returns (uint256) {
        for (uint256 t = 0; t < tokens.length; ++t) {
            if (tokens[t] == token) return t;
        }
        revert UnknownToken(token);
    }

    function _seenBefore(uint256[] memory ids, uint256 index) private pure returns (bool) {
        for (uint256 j = 0; j < index; ++j) {
            if (ids[j] == ids[index]) return true;
        }
        return false;
    }

    /// @dev Any actor: a consumer, a provider or an outsider.
    function _anyone(uint256 seed) private view returns (address) {
        uint256 pick = seed % (2 * ACTORS + OUTSIDERS);
        if (pick < ACTORS) return consumers[pick];
        if (pick < 2 * ACTORS) return providers[pick - ACTORS];
        return outsiders[pick - 2 * ACTORS];
    }

    /// @dev Everyone who can be owed something: consumers, providers (never, but they may try) and
    /// the treasury.
    function _claimants() private view returns (address[] memory list) {
        list = new address[](2 * ACTORS + 1);
        for (uint256 i = 0; i < ACTORS; ++i) {
            list[i] = consumers[i];
            list[ACTORS + i] = providers[i];
        }
        list[2 * ACTORS] = treasury;
    }

    function _balanceOf(address token, address account) private view returns (uint256) {
        return token == address(0) ? account.balance : MockERC20(token).balanceOf(account);
    }

    function _refreshPrice(address token, uint256 seed) private {
        uint256 t = _tokenIndex(token);
        int256 price = t == 0 ? int256(_bound(seed, 1_000e8, 5_000e8)) : int256(_bound(seed, 0.98e8, 1.02e8));
        feeds[t].updateAnswer(price);
    }

    function _warpTo(uint256 timestamp) private {
        if (timestamp <= currentTime) return;
        currentTime = timestamp;
        vm.warp(timestamp);
    }

    function _list3(address[3] memory array) private pure returns (address[] memory list) {
        list = new address[](3);
        for (uint256 i = 0; i < 3; ++i) list[i] = array[i];
    }

    function _actor(string memory name, uint256 key) private returns (address account) {
        account = vm.addr(key);
        vm.label(account, name);
    }

    function _sortOracles(uint256[3] memory keys) private {
        for (uint256 i = 0; i < ACTORS; ++i) {
            for (uint256 j = i + 1; j < ACTORS; ++j) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        for (uint256 i = 0; i < ACTORS; ++i) {
            oracleKeys[i] = keys[i];
            oracles[i] = vm.addr(keys[i]);
        }
    }
}
