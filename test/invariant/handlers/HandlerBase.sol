// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {EscrowManager} from "../../../contracts/core/EscrowManager.sol";
import {ReputationSystem} from "../../../contracts/core/ReputationSystem.sol";
import {ResourceMarketplace} from "../../../contracts/core/ResourceMarketplace.sol";
import {SLAEnforcement} from "../../../contracts/core/SLAEnforcement.sol";
import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {PriceMath} from "../../../contracts/libraries/PriceMath.sol";
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

/// @notice What the handler saw happen to one booking, from the calls it made and the events they
/// emitted, and what it was booked with.
/// @param providerGross Taken from the booking by the provider's withdrawals, fees included.
/// @param refunds Credited to the consumer on cancellation or termination.
/// @param slaCredits Credited to the consumer for SLA periods that missed the SLA.
/// @param cancellationFee Credited to the provider for a late cancellation by the consumer.
/// @param slashedUsdE8 USD value of what the provider's bonds paid the consumer, at the prices of the slash.
/// @param uptimeTargetBps SLA uptime target the booking was made under (the resource's terms in
/// force just before the second it was booked, as the handler tracked them).
/// @param maxLatencyMs SLA latency limit it was made under.
/// @param creditPolicy Which of the two credit policies the handler switches between was in force
/// just before the second it was booked.
/// @param deadline Its provisioning deadline under the timeout in force just before that second.
/// @param providerFault Whether it ended by a provider failure (provisioning timeout or termination
/// by the provider): the only bookings a slash may follow.
/// @param terminalStatus First final status seen (None until then).
/// @param terminalEndsAt The stream's end when the final status was first seen.
struct BookingGhost {
    address token;
    address consumer;
    address provider;
    uint256 resourceId;
    uint256 deposit;
    uint256 usdValueE8;
    uint256 providerGross;
    uint256 fees;
    uint256 refunds;
    uint256 slaCredits;
    uint256 cancellationFee;
    uint256 slashedUsdE8;
    uint256 deadline;
    uint16 uptimeTargetBps;
    uint32 maxLatencyMs;
    uint8 creditPolicy;
    bool providerFault;
    IResourceMarketplace.BookingStatus lastStatus;
    IResourceMarketplace.BookingStatus terminalStatus;
    uint40 terminalEndsAt;
    uint32 lastSettledPeriods;
}

/// @notice A resource's SLA terms now, and those in force just before the second they last changed.
struct ResourceGhost {
    uint16 uptimeTargetBps;
    uint32 maxLatencyMs;
    uint16 uptimeBeforeBps;
    uint32 latencyBeforeMs;
    uint256 changedAt;
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

/// @notice What went into and out of one provider's bond in one token.
struct BondGhost {
    uint256 deposited;
    uint256 withdrawn;
    uint256 slashed;
}

/// @notice How many times each action did what it set out to do, to show that runs go deep.
struct Stats {
    uint256 listed;
    uint256 termsChanged;
    uint256 booked;
    uint256 refusedForBond;
    uint256 refusedForSla;
    uint256 confirmed;
    uint256 cancelled;
    uint256 cancellationFees;
    uint256 consumerFaults;
    uint256 timedOut;
    uint256 terminated;
    uint256 completed;
    uint256 periodsSettled;
    /// @dev Batches that went through whose first report covered several periods.
    uint256 rangesSubmitted;
    uint256 reportsSkipped;
    uint256 withdrawals;
    uint256 batchWithdrawals;
    uint256 claims;
    uint256 bondsDeposited;
    uint256 bondsWithdrawn;
    uint256 crossTokenSlashes;
    uint256 ratings;
    uint256 policyChanges;
    uint256 timeoutChanges;
    uint256 outsiderAttempts;
}

/// @title HandlerBase
/// @notice State and shared machinery of MarketplaceHandler: the deployed protocol, the actors, the
/// run's clock and prices, the ghosts the invariant suites compare the protocol with, and the
/// queries and signatures every group of actions uses.
/// @dev Actions record a violation instead of reverting, since reverts are ignored by the
/// invariant runner. The handler never reads block.timestamp after start: the runner may reset it
/// between calls, and the optimizer may reuse a read from before a vm.warp.
abstract contract HandlerBase is CommonBase, StdUtils {
    using StreamMath for uint256;

    uint256 internal constant ACTORS = 3;
    uint256 internal constant OUTSIDERS = 4;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_BATCH = 5;
    /// @dev Price feeds answer with 8 decimals; a price older than this is stale (CoreDeployment).
    uint8 internal constant FEED_DECIMALS = 8;
    uint256 internal constant HEARTBEAT_SECONDS = 1 days;
    string internal constant CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    /// @dev A usable X25519 public key (the sdk's test key).
    bytes32 internal constant ENCRYPTION_KEY = 0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170;
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    PriceOracle public priceOracle;
    ReputationSystem public reputation;
    EscrowManager public escrow;
    ResourceMarketplace public marketplace;
    SLAEnforcement public sla;
    address public admin;
    address public treasury;
    address public guardian;

    address[3] public tokens;
    uint8[3] internal tokenDecimals = [18, 18, 6];
    MockV3Aggregator[3] internal feeds;
    /// @dev Last answer of each feed and when it was given, to value money as the protocol does.
    uint256[3] internal prices;
    uint256[3] internal pricedAt;
    address[ACTORS] public providers;
    address[ACTORS] public consumers;
    /// @dev Oracle signers ordered by address, as signatures must be.
    address[ACTORS] public oracles;
    uint256[ACTORS] internal oracleKeys;
    address[OUTSIDERS] public outsiders;
    uint256[OUTSIDERS] internal outsiderKeys;

    uint256 public currentTime;

    OutsiderActor public outsiderActor;

    mapping(uint256 bookingId => BookingGhost) internal bookingGhosts;
    mapping(uint256 resourceId => ResourceGhost) internal resourceGhosts;
    mapping(address token => TokenGhost) internal tokenGhosts;
    mapping(address provider => mapping(address token => BondGhost)) internal bondGhosts;
    mapping(address provider => IReputationSystem.Record) internal providerGhosts;
    /// @dev Deposits of each provider's started bookings that are neither stopped nor closed.
    mapping(address provider => mapping(address token => uint256)) public activeValueGhost;
    mapping(uint256 bookingId => mapping(uint256 period => uint256)) public settlementCount;
    mapping(uint256 bookingId => uint256) public settlementsOf;
    uint256 public maxSettlementsPerPeriod;
    /// @dev Slashes seen in bookings that did not end by a provider failure.
    uint256 public slashesWithoutFault;
    /// @dev Bookings seen settling by, or reporting, other SLA terms or another policy than booked.
    uint256 public bookedTermsMismatches;
    Stats internal stats;

    /// @dev Credit policy (0: as deployed, 1: the alternative `govern` switches to) now, the one in
    /// force before the second it last changed, and that second.
    uint8 internal policyNow;
    uint8 internal policyBefore;
    uint256 internal policyChangedAt;
    /// @dev Provisioning timeout now, the one in force before the second it last changed, and that
    /// second (0: never).
    uint256 internal timeoutNow;
    uint256 internal timeoutBefore;
    uint256 internal timeoutChangedAt;

    uint256 public violations;
    string public firstViolation;
    uint256 public outsiderViolations;
    string public firstOutsiderViolation;

    error UnknownToken(address token);
    error OutsiderActorNotDeployed();

    modifier step() {
        vm.warp(currentTime);
        vm.recordLogs();
        _;
        _afterStep();
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
        timeoutNow = marketplace.provisionTimeout();
        for (uint256 t = 0; t < tokens.length; ++t) {
            (, int256 answer, , uint256 updatedAt, ) = feeds[t].latestRoundData();
            prices[t] = uint256(answer);
            pricedAt[t] = updatedAt;
        }

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
                _list3(providers),
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
    }

    /// @dev Processes what the action emitted and checks every booking; see LogObserver.
    function _afterStep() internal virtual;

    // ---------------------------------------------------------------------------------------------
    // Violations
    // ---------------------------------------------------------------------------------------------

    /// @dev The log recorder keeps the events of calls that reverted; they must not count.
    function _dropLogs() internal {
        vm.getRecordedLogs();
    }

    function _violation(string memory what) internal {
        if (violations == 0) firstViolation = what;
        ++violations;
    }

    function _outsiderViolation(string memory what) internal {
        if (outsiderViolations == 0) firstOutsiderViolation = what;
        ++outsiderViolations;
    }

    // ---------------------------------------------------------------------------------------------
    // Oracle statements
    // ---------------------------------------------------------------------------------------------

    /// @dev `count` oracle signatures of an EIP-712 statement over the oracle signer set's domain,
    /// digested here from the domain the contract reports rather than by the contract. When two of
    /// three sign, `seed` picks the one left out; ascending address order is kept.
    function _signStatement(bytes32 structHash, uint256 count, uint256 seed) internal view returns (bytes[] memory) {
        (, string memory name, string memory version, uint256 chainId, address verifying, , ) = sla.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)
        );
        return _signDigest(keccak256(abi.encodePacked("\x19\x01", domain, structHash)), count, seed);
    }

    function _signDigest(
        bytes32 digest,
        uint256 count,
        uint256 seed
    ) internal view returns (bytes[] memory signatures) {
        signatures = new bytes[](count);
        uint256 skipped = count == 2 ? seed % ACTORS : (count == 1 ? ACTORS : ACTORS + 1);
        uint256 n = 0;
        for (uint256 i = 0; i < ACTORS && n < count; ++i) {
            if (i == skipped) continue;
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(oracleKeys[i], digest);
            signatures[n++] = abi.encodePacked(r, s, v);
        }
    }

    /// @dev Mostly the quorum of two, sometimes all three, sometimes one too few.
    function _signerCount(uint256 seed) internal pure returns (uint256) {
        return seed % 8 == 0 ? 1 : (seed % 8 == 1 ? 3 : 2);
    }

    // ---------------------------------------------------------------------------------------------
    // Queries
    // ---------------------------------------------------------------------------------------------

    /// @dev First booking from a random start that `matches`, or 0.
    function _findBooking(uint256 seed, function(uint256) view returns (bool) matches) internal view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (matches(id)) return id;
        }
        return 0;
    }

    function _isRequested(uint256 id) internal view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Requested;
    }

    function _isConfirmable(uint256 id) internal view returns (bool) {
        return _isRequested(id) && currentTime <= bookingGhosts[id].deadline;
    }

    function _isActive(uint256 id) internal view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Active;
    }

    function _isStarted(uint256 id) internal view returns (bool) {
        IEscrowManager.StreamState state = escrow.streamOf(id).state;
        return
            state == IEscrowManager.StreamState.Streaming ||
            state == IEscrowManager.StreamState.Stopped ||
            state == IEscrowManager.StreamState.Closed;
    }

    function _periodCount(uint256 bookingId) internal view returns (uint256) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        return uint256(stream.endsAt - stream.startedAt).periodCount(escrow.settings().slaPeriodSeconds);
    }

    /// @dev Any actor: a consumer, a provider or an outsider.
    function _anyone(uint256 seed) internal view returns (address) {
        uint256 pick = seed % (2 * ACTORS + OUTSIDERS);
        if (pick < ACTORS) return consumers[pick];
        if (pick < 2 * ACTORS) return providers[pick - ACTORS];
        return outsiders[pick - 2 * ACTORS];
    }

    /// @dev A consumer or provider who is not a party to the booking tries `call` on the marketplace.
    function _tryAsIntruder(uint256 bookingId, uint256 seed, bytes memory call, string memory action) internal {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        address intruder = seed % 2 == 0 ? consumers[seed % ACTORS] : providers[seed % ACTORS];
        if (intruder == ghost.consumer || intruder == ghost.provider) return;
        vm.prank(intruder);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = address(marketplace).call(call);
        if (ok) _violation(string.concat(action, ": someone else's booking was changed"));
        else _dropLogs();
    }

    // ---------------------------------------------------------------------------------------------
    // Money
    // ---------------------------------------------------------------------------------------------

    function _balanceOf(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : MockERC20(token).balanceOf(account);
    }

    function _tokenIndex(address token) internal view returns (uint256) {
        for (uint256 t = 0; t < tokens.length; ++t) {
            if (tokens[t] == token) return t;
        }
        revert UnknownToken(token);
    }

    /// @dev Whether the protocol can price the token now (its feed answered within the heartbeat).
    function _priced(uint256 t) internal view returns (bool) {
        return currentTime - pricedAt[t] <= HEARTBEAT_SECONDS;
    }

    /// @dev `amount` of token index `t` in USD (8 decimals) at the last answer of its feed.
    function _usd(uint256 t, uint256 amount) internal view returns (uint256) {
        return PriceMath.tokenToUsd(amount, prices[t], FEED_DECIMALS, tokenDecimals[t]);
    }

    /// @dev New answers for every feed: ETH between $1,000 and $5,000, stablecoins within 2 % of a dollar.
    function _movePrices(uint256 seed) internal {
        for (uint256 t = 0; t < tokens.length; ++t) {
            uint256 s = uint256(keccak256(abi.encode(seed, t)));
            uint256 price = t == 0 ? _bound(s, 1_000e8, 5_000e8) : _bound(s, 0.98e8, 1.02e8);
            feeds[t].updateAnswer(int256(price));
            prices[t] = price;
            pricedAt[t] = currentTime;
        }
    }

    function _warpTo(uint256 timestamp) internal {
        if (timestamp <= currentTime) return;
        currentTime = timestamp;
        vm.warp(timestamp);
    }

    // ---------------------------------------------------------------------------------------------
    // Lists and actors
    // ---------------------------------------------------------------------------------------------

    function _list3(address[3] memory array) internal pure returns (address[] memory list) {
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
