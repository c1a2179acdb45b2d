// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {PriceMath} from "../libraries/PriceMath.sol";
import {StreamMath} from "../libraries/StreamMath.sol";

/// @title EscrowManager
/// @notice Escrow and payment streams of D-CloudX bookings, provider bonds, and the ledger of what
/// each account can claim. Pull payments only: every transfer out is asked for by the account it
/// belongs to, and goes to it or to a recipient it names.
/// @dev A booking takes two storage slots: its Deposit (written when booked) and its Stream
/// (written when billing starts). Per token, the balance held always covers, for every booking,
/// `streamed(endsAt) - debited` (or the whole deposit before it starts), plus everything owed and
/// every bond. Each provider's active value (amounts of started, unfinished streams) is kept per
/// token, so that its bonds can be compared to it in USD.
contract EscrowManager is IEscrowManager, ManagedUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Role of the marketplace, which moves bookings through their lifecycle.
    bytes32 public constant MARKETPLACE_ROLE = keccak256("MARKETPLACE_ROLE");
    /// @notice Role of SLA enforcement, which settles SLA periods.
    bytes32 public constant SLA_ROLE = keccak256("SLA_ROLE");

    /// @notice Highest protocol fee governance can set.
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 2_000;
    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_SLA_PERIOD_SECONDS = 10;
    uint256 private constant MAX_REPORT_WINDOW_SECONDS = 30 days;
    uint256 private constant MAX_UNBONDING_DELAY_SECONDS = 90 days;
    uint256 private constant MAX_GRACE_PERIOD_SECONDS = 30 days;
    /// @dev Accepted-token masks are 64 bits wide, so there are at most 64 token ids.
    uint256 private constant MAX_TOKENS = 64;

    /// @custom:storage-location erc7201:dcloudx.storage.Escrow
    struct EscrowStorage {
        Settings settings;
        IPriceOracle priceOracle;
        mapping(uint256 bookingId => Deposit) deposits;
        mapping(uint256 bookingId => Stream) streams;
        mapping(address account => mapping(address token => uint256)) owed;
        mapping(address provider => mapping(address token => Bond)) bonds;
        /// @dev Token addresses by id, copied from the price oracle on first use (ids never change).
        mapping(uint8 tokenId => address) tokens;
        /// @dev Ids of the tokens a provider has ever bonded or been paid in (bit i: token id i).
        mapping(address provider => uint64) providerTokens;
        mapping(address provider => mapping(address token => uint256)) activeValue;
        /// @dev Boundaries of each extended stream, oldest first; the first also holds the count,
        /// so a stream never extended costs one slot read to tell.
        mapping(uint256 bookingId => mapping(uint256 index => Boundary)) boundaries;
        /// @dev Seconds after a stream's end during which an extension resumes it.
        uint32 gracePeriodSeconds;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.Escrow")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa918850ccef4d385deebee90f3157a11883b7859b3f61ffbd24d4d7c7f57a700;

    function _getEscrowStorage() private pure returns (EscrowStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    /// @param priceOracle Registry of payment tokens.
    /// @param initialSettings Protocol parameters; `slaPeriodSeconds` and `reportWindowSeconds` are
    /// fixed from now on.
    function initialize(
        address admin,
        IPriceOracle priceOracle,
        Settings calldata initialSettings
    ) external initializer {
        __Managed_init(admin);
        if (address(priceOracle) == address(0) || initialSettings.slaPeriodSeconds < MIN_SLA_PERIOD_SECONDS) {
            revert EscrowInvalidSettings();
        }
        EscrowStorage storage $ = _getEscrowStorage();
        $.priceOracle = priceOracle;
        _setSettings($, initialSettings);
    }

    // ---------------------------------------------------------------------------------------------
    // Booking lifecycle (marketplace and SLA enforcement)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function deposit(
        uint256 bookingId,
        address consumer,
        address provider,
        address token,
        uint256 amount
    ) external payable onlyRole(MARKETPLACE_ROLE) {
        // No reentrancy guard: only the marketplace calls this, and the token pull comes last.
        if (amount == 0) revert EscrowZeroAmount();
        if (amount > type(uint96).max) revert EscrowAmountTooLarge(amount);
        Deposit storage booking = _getEscrowStorage().deposits[bookingId];
        if (booking.amount != 0) revert EscrowBookingExists(bookingId);

        booking.provider = provider;
        booking.amount = uint96(amount);
        emit Deposited(bookingId, consumer, token, amount);
        _receive(token, consumer, amount);
    }

    /// @inheritdoc IEscrowManager
    function startStream(
        uint256 bookingId,
        uint8 tokenId,
        uint16 hoursBooked
    ) external onlyRole(MARKETPLACE_ROLE) returns (uint40 startedAt, uint40 endsAt) {
        EscrowStorage storage $ = _getEscrowStorage();
        Stream storage stream = $.streams[bookingId];
        if (stream.state != StreamState.None) revert EscrowInvalidState(bookingId, stream.state);

        startedAt = uint40(block.timestamp);
        endsAt = startedAt + uint40(hoursBooked) * 1 hours;
        $.streams[bookingId] = Stream({
            tokenId: tokenId,
            state: StreamState.Streaming,
            feeBps: $.settings.protocolFeeBps,
            startedAt: startedAt,
            endsAt: endsAt,
            hoursBooked: hoursBooked,
            settledPeriods: 0,
            debited: 0
        });
        Deposit memory booking = $.deposits[bookingId];
        mapping(address => uint256) storage active = $.activeValue[booking.provider];
        address token = _token($, tokenId);
        if (active[token] == 0) _noteToken($, booking.provider, tokenId);
        active[token] += booking.amount;
    }

    /// @inheritdoc IEscrowManager
    function extendDeposit(
        uint256 bookingId,
        address consumer,
        address token,
        uint256 amount,
        uint16 extraHours
    ) external payable onlyRole(MARKETPLACE_ROLE) returns (uint40 endsAt) {
        // No reentrancy guard: only the marketplace calls this, and the token pull comes last.
        if (amount == 0) revert EscrowZeroAmount();
        EscrowStorage storage $ = _getEscrowStorage();
        Deposit storage booking = $.deposits[bookingId];
        uint256 amountBefore = booking.amount;
        if (amountBefore == 0) revert EscrowUnknownBooking(bookingId);
        uint256 total = amountBefore + amount;
        if (total > type(uint96).max) revert EscrowAmountTooLarge(total);
        Stream storage stream = $.streams[bookingId];
        StreamState state = stream.state;
        if (state == StreamState.Streaming) {
            endsAt = _extendStream($, bookingId, stream, amountBefore, amount, extraHours);
            $.activeValue[booking.provider][token] += amount;
        } else if (state != StreamState.None) {
            revert EscrowInvalidState(bookingId, state);
        }
        booking.amount = uint96(total);
        emit DepositIncreased(bookingId, consumer, token, amount);
        _receive(token, consumer, amount);
    }

    /// @inheritdoc IEscrowManager
    function refundDeposit(
        uint256 bookingId,
        address consumer,
        uint8 tokenId,
        uint16 cancellationFeeBps,
        bool slashBond
    ) external onlyRole(MARKETPLACE_ROLE) {
        EscrowStorage storage $ = _getEscrowStorage();
        Deposit memory booking = $.deposits[bookingId];
        if (booking.amount == 0) revert EscrowUnknownBooking(bookingId);
        if (cancellationFeeBps > BPS) revert EscrowFeeAboveDeposit(bookingId, cancellationFeeBps);
        uint256 cancellationFee = (uint256(booking.amount) * cancellationFeeBps) / BPS;
        Stream storage stream = $.streams[bookingId];
        if (stream.state != StreamState.None) revert EscrowInvalidState(bookingId, stream.state);

        stream.tokenId = tokenId;
        stream.state = StreamState.Refunded;
        address token = _token($, tokenId);
        _credit($, bookingId, consumer, token, booking.amount - cancellationFee, RefundReason.Cancelled);
        if (cancellationFee != 0) {
            $.owed[booking.provider][token] += cancellationFee;
            emit CancellationFeeCredited(bookingId, booking.provider, token, cancellationFee);
        }
        if (slashBond) _slash($, bookingId, booking, consumer, token);
    }

    /// @inheritdoc IEscrowManager
    function stopStream(
        uint256 bookingId,
        address consumer,
        bool slashBond
    ) external onlyRole(MARKETPLACE_ROLE) returns (uint256 refund) {
        EscrowStorage storage $ = _getEscrowStorage();
        Stream storage stream = $.streams[bookingId];
        if (stream.state != StreamState.Streaming) revert EscrowInvalidState(bookingId, stream.state);
        if (block.timestamp >= stream.endsAt) revert EscrowStreamEnded(bookingId, stream.endsAt);

        Deposit memory booking = $.deposits[bookingId];
        stream.endsAt = uint40(block.timestamp);
        stream.state = StreamState.Stopped;
        refund =
            booking.amount -
            _streamedAt($.boundaries[bookingId], booking.amount, _duration(stream), block.timestamp - stream.startedAt);
        address token = _token($, stream.tokenId);
        _releaseActive($, booking.provider, token, booking.amount);
        _credit($, bookingId, consumer, token, refund, RefundReason.Terminated);
        if (slashBond) _slash($, bookingId, booking, consumer, token);
    }

    /// @inheritdoc IEscrowManager
    function closeStream(uint256 bookingId) external onlyRole(MARKETPLACE_ROLE) returns (uint256 graceEndsAt) {
        EscrowStorage storage $ = _getEscrowStorage();
        Stream storage stream = $.streams[bookingId];
        if (stream.state != StreamState.Streaming) revert EscrowInvalidState(bookingId, stream.state);
        uint256 endsAt = stream.endsAt;
        if (block.timestamp < endsAt) revert EscrowStreamNotEnded(bookingId, endsAt);
        stream.state = StreamState.Closed;
        Deposit memory booking = $.deposits[bookingId];
        _releaseActive($, booking.provider, _token($, stream.tokenId), booking.amount);
        return endsAt + $.gracePeriodSeconds;
    }

    /// @inheritdoc IEscrowManager
    function settlePeriods(
        uint256 bookingId,
        uint256 firstPeriod,
        uint16[] calldata creditBps,
        address consumer
    ) external onlyRole(SLA_ROLE) returns (RangeSettlement memory result) {
        EscrowStorage storage $ = _getEscrowStorage();
        Stream memory stream = $.streams[bookingId];
        if (!_started(stream.state)) revert EscrowInvalidState(bookingId, stream.state);
        result.provider = $.deposits[bookingId].provider;
        result.token = _token($, stream.tokenId);
        result.feeBps = stream.feeBps;

        uint256 count = _settleable($, bookingId, firstPeriod, creditBps.length, stream, result);
        if (count == 0) return result;
        uint256 offset = result.alreadySettled + result.windowClosed;
        uint256 from = firstPeriod + offset;
        uint256 totalCredit = _valuePeriods($, bookingId, stream, from, creditBps[offset:offset + count], result);
        Stream storage stored = $.streams[bookingId];
        stored.settledPeriods = uint32(from + count);
        if (totalCredit != 0) {
            stored.debited = stream.debited + uint96(totalCredit);
            _credit($, bookingId, consumer, result.token, totalCredit, RefundReason.SlaCredit);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Withdrawals and claims
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function withdrawEarnings(uint256 bookingId) external nonReentrant {
        EscrowStorage storage $ = _getEscrowStorage();
        (uint8 tokenId, uint256 gross, uint256 fee) = _takeEarnings($, bookingId);
        if (gross == 0) revert EscrowNothingToWithdraw();
        address token = _token($, tokenId);
        emit EarningsWithdrawn(bookingId, msg.sender, token, gross, fee, msg.sender);
        _payFee($, token, fee);
        _send(token, msg.sender, gross - fee);
    }

    /// @inheritdoc IEscrowManager
    function withdrawEarningsBatch(uint256[] calldata bookingIds) external nonReentrant {
        _withdrawEarnings(bookingIds, msg.sender);
    }

    /// @inheritdoc IEscrowManager
    function withdrawEarningsTo(uint256[] calldata bookingIds, address recipient) external nonReentrant {
        if (recipient == address(0)) revert EscrowZeroRecipient();
        _withdrawEarnings(bookingIds, recipient);
    }

    /// @inheritdoc IEscrowManager
    function claim(address token) external nonReentrant {
        _claim(token, msg.sender);
    }

    /// @inheritdoc IEscrowManager
    function claimTo(address token, address recipient) external nonReentrant {
        if (recipient == address(0)) revert EscrowZeroRecipient();
        _claim(token, recipient);
    }

    // ---------------------------------------------------------------------------------------------
    // Provider bonds
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function depositBond(address token, uint256 amount) external payable nonReentrant {
        EscrowStorage storage $ = _getEscrowStorage();
        if (amount == 0) revert EscrowZeroAmount();
        IPriceOracle.PaymentToken memory config = $.priceOracle.paymentToken(token);
        if (!config.enabled) revert EscrowUnsupportedToken(token);
        Bond storage bond = $.bonds[msg.sender][token];
        uint256 total = bond.amount + amount;
        if (total > type(uint96).max) revert EscrowAmountTooLarge(total);
        if (bond.amount == 0) _noteToken($, msg.sender, config.id);
        bond.amount = uint96(total);
        emit BondDeposited(msg.sender, token, amount);
        _receive(token, msg.sender, amount);
    }

    /// @inheritdoc IEscrowManager
    function requestBondWithdrawal(address token, uint256 amount) external {
        EscrowStorage storage $ = _getEscrowStorage();
        Bond storage bond = $.bonds[msg.sender][token];
        if (amount == 0) revert EscrowZeroAmount();
        if (amount > bond.amount) revert EscrowInsufficientBond(msg.sender, token, bond.amount, amount);
        bond.amount -= uint96(amount);
        bond.unbonding += uint96(amount);
        uint40 availableAt = uint40(block.timestamp + $.settings.unbondingDelaySeconds);
        bond.unbondingAvailableAt = availableAt;
        emit BondUnbondingRequested(msg.sender, token, amount, availableAt);
    }

    /// @inheritdoc IEscrowManager
    function withdrawBond(address token) external nonReentrant {
        _withdrawBond(token, msg.sender);
    }

    /// @inheritdoc IEscrowManager
    function withdrawBondTo(address token, address recipient) external nonReentrant {
        if (recipient == address(0)) revert EscrowZeroRecipient();
        _withdrawBond(token, recipient);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function updateSettings(Settings calldata newSettings) external onlyRole(DEFAULT_ADMIN_ROLE) {
        EscrowStorage storage $ = _getEscrowStorage();
        // Both define how running bookings settle: a longer window would reopen periods that
        // have already been paid out as compliant.
        if (
            newSettings.slaPeriodSeconds != $.settings.slaPeriodSeconds ||
            newSettings.reportWindowSeconds != $.settings.reportWindowSeconds
        ) revert EscrowInvalidSettings();
        _setSettings($, newSettings);
    }

    /// @inheritdoc IEscrowManager
    function setGracePeriod(uint32 gracePeriodSeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (gracePeriodSeconds > MAX_GRACE_PERIOD_SECONDS) revert EscrowInvalidGracePeriod(gracePeriodSeconds);
        _getEscrowStorage().gracePeriodSeconds = gracePeriodSeconds;
        emit GracePeriodUpdated(gracePeriodSeconds);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function withdrawable(uint256 bookingId) external view returns (uint256 gross) {
        EscrowStorage storage $ = _getEscrowStorage();
        return _unlocked($, bookingId, $.deposits[bookingId], $.streams[bookingId]) - $.streams[bookingId].debited;
    }

    /// @inheritdoc IEscrowManager
    function depositOf(uint256 bookingId) external view returns (Deposit memory) {
        return _getEscrowStorage().deposits[bookingId];
    }

    /// @inheritdoc IEscrowManager
    function streamOf(uint256 bookingId) external view returns (Stream memory) {
        return _getEscrowStorage().streams[bookingId];
    }

    /// @inheritdoc IEscrowManager
    function boundariesOf(uint256 bookingId) external view returns (Boundary[] memory list) {
        mapping(uint256 => Boundary) storage boundaries = _getEscrowStorage().boundaries[bookingId];
        list = new Boundary[](boundaries[0].count);
        for (uint256 i = 0; i < list.length; ++i) list[i] = boundaries[i];
    }

    /// @inheritdoc IEscrowManager
    function owed(address account, address token) external view returns (uint256) {
        return _getEscrowStorage().owed[account][token];
    }

    /// @inheritdoc IEscrowManager
    function bondOf(address provider, address token) external view returns (Bond memory) {
        return _getEscrowStorage().bonds[provider][token];
    }

    /// @inheritdoc IEscrowManager
    function activeValueOf(address provider, address token) external view returns (uint256) {
        return _getEscrowStorage().activeValue[provider][token];
    }

    /// @inheritdoc IEscrowManager
    function depositUsd(uint256 bookingId, uint8 tokenId) external view returns (uint256) {
        EscrowStorage storage $ = _getEscrowStorage();
        IPriceOracle oracle = $.priceOracle;
        return oracle.toUsd(_knownToken($, tokenId), $.deposits[bookingId].amount);
    }

    /// @inheritdoc IEscrowManager
    function bondCoverage(address provider) external view returns (uint256 bondUsdE8, uint256 activeUsdE8) {
        EscrowStorage storage $ = _getEscrowStorage();
        uint64 ids = $.providerTokens[provider];
        for (uint256 id = 0; ids >> id != 0; ++id) {
            if ((ids >> id) & 1 == 0) continue;
            address token = _knownToken($, uint8(id));
            uint256 bonded = $.bonds[provider][token].amount;
            uint256 active = $.activeValue[provider][token];
            if (bonded == 0 && active == 0) continue;
            IPriceOracle.UsdPrice memory price = _tryPrice($, token);
            if (price.answer == 0) continue;
            bondUsdE8 += PriceMath.tokenToUsd(bonded, price.answer, price.feedDecimals, price.tokenDecimals);
            activeUsdE8 += PriceMath.tokenToUsd(active, price.answer, price.feedDecimals, price.tokenDecimals);
        }
    }

    /// @inheritdoc IEscrowManager
    function settings() external view returns (Settings memory) {
        return _getEscrowStorage().settings;
    }

    /// @inheritdoc IEscrowManager
    function gracePeriod() external view returns (uint32) {
        return _getEscrowStorage().gracePeriodSeconds;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Pays `recipient` what the caller can withdraw from each booking, one transfer per token.
    function _withdrawEarnings(uint256[] calldata bookingIds, address recipient) private {
        EscrowStorage storage $ = _getEscrowStorage();
        uint256[MAX_TOKENS] memory grossByToken;
        uint256[MAX_TOKENS] memory feeByToken;
        uint256 tokensUsed;

        for (uint256 i = 0; i < bookingIds.length; ++i) {
            (uint8 tokenId, uint256 gross, uint256 fee) = _takeEarnings($, bookingIds[i]);
            if (gross == 0) continue;
            emit EarningsWithdrawn(bookingIds[i], msg.sender, _token($, tokenId), gross, fee, recipient);
            grossByToken[tokenId] += gross;
            feeByToken[tokenId] += fee;
            tokensUsed |= 1 << tokenId;
        }
        if (tokensUsed == 0) revert EscrowNothingToWithdraw();

        for (uint256 tokenId = 0; tokensUsed != 0; ++tokenId) {
            if (tokensUsed & (1 << tokenId) == 0) continue;
            tokensUsed &= ~(1 << tokenId);
            address token = _token($, uint8(tokenId));
            _payFee($, token, feeByToken[tokenId]);
            _send(token, recipient, grossByToken[tokenId] - feeByToken[tokenId]);
        }
    }

    function _claim(address token, address recipient) private {
        mapping(address => uint256) storage balances = _getEscrowStorage().owed[msg.sender];
        uint256 amount = balances[token];
        if (amount == 0) revert EscrowNothingToClaim(msg.sender, token);
        balances[token] = 0;
        emit Claimed(msg.sender, token, amount, recipient);
        _send(token, recipient, amount);
    }

    function _withdrawBond(address token, address recipient) private {
        Bond storage bond = _getEscrowStorage().bonds[msg.sender][token];
        uint256 amount = bond.unbonding;
        if (amount == 0) revert EscrowNothingToClaim(msg.sender, token);
        if (block.timestamp < bond.unbondingAvailableAt) revert EscrowBondLocked(bond.unbondingAvailableAt);
        bond.unbonding = 0;
        emit BondWithdrawn(msg.sender, token, amount, recipient);
        _send(token, recipient, amount);
    }

    /// @dev Debits what the caller (who must be the provider) can withdraw from a booking.
    function _takeEarnings(
        EscrowStorage storage $,
        uint256 bookingId
    ) private returns (uint8 tokenId, uint256 gross, uint256 fee) {
        Deposit memory booking = $.deposits[bookingId];
        if (booking.provider != msg.sender) revert EscrowNotProvider(bookingId, msg.sender);
        Stream storage stream = $.streams[bookingId];
        tokenId = stream.tokenId;
        gross = _unlocked($, bookingId, booking, stream) - stream.debited;
        if (gross == 0) return (tokenId, 0, 0);
        fee = (gross * stream.feeBps) / BPS;
        stream.debited += uint96(gross);
    }

    /// @dev Streamed value the provider's share may be paid from: through settled periods and
    /// periods whose report window has closed.
    function _unlocked(
        EscrowStorage storage $,
        uint256 bookingId,
        Deposit memory booking,
        Stream memory stream
    ) private view returns (uint256) {
        if (!_started(stream.state)) return 0;
        uint256 unlockedUntil = StreamMath.unlockedUntil(
            stream.settledPeriods,
            $.settings.slaPeriodSeconds,
            stream.endsAt - stream.startedAt,
            block.timestamp - stream.startedAt,
            $.settings.reportWindowSeconds
        );
        return _streamedAt($.boundaries[bookingId], booking.amount, _duration(stream), unlockedUntil);
    }

    /// @dev How many of the `count` periods from `firstPeriod` on can settle now. Counts the ones
    /// before those in `result` and says why the ones after cannot.
    function _settleable(
        EscrowStorage storage $,
        uint256 bookingId,
        uint256 firstPeriod,
        uint256 count,
        Stream memory stream,
        RangeSettlement memory result
    ) private view returns (uint256 settleable) {
        uint256 periodSeconds = $.settings.slaPeriodSeconds;
        uint256 window = $.settings.reportWindowSeconds;
        uint256 activeSeconds = stream.endsAt - stream.startedAt;
        uint256 periodCount = StreamMath.periodCount(activeSeconds, periodSeconds);
        uint256 end = firstPeriod + count;
        if (end > periodCount) revert EscrowPeriodOutOfRange(bookingId, end - 1, periodCount);
        uint256 elapsed = block.timestamp - stream.startedAt;
        // Periods that have ended, and those whose report window has closed too.
        uint256 ended = _endedBy(elapsed, periodSeconds, activeSeconds);
        uint256 closed = elapsed < window ? 0 : _endedBy(elapsed - window, periodSeconds, activeSeconds);

        uint256 settledBefore = stream.settledPeriods;
        uint256 start = Math.max(firstPeriod, Math.min(settledBefore, end));
        result.alreadySettled = uint32(start - firstPeriod);
        uint256 from = Math.max(start, Math.min(closed, end));
        result.windowClosed = uint32(from - start);
        if (from == end) return 0;
        // Periods settle in order: an unsettled earlier period must have had its window close.
        if (from > settledBefore && from > closed) {
            result.unsettled = SettleStatus.EarlierPeriodOpen;
            return 0;
        }
        uint256 to = Math.max(from, Math.min(ended, end));
        if (to < end) result.unsettled = SettleStatus.PeriodNotEnded;
        return to - from;
    }

    /// @dev Lengthens a running stream by `amount` over `extraHours` after its current end, or from
    /// now if it is in its grace (a resume); returns its new end.
    function _extendStream(
        EscrowStorage storage $,
        uint256 bookingId,
        Stream storage stream,
        uint256 valueBefore,
        uint256 amount,
        uint16 extraHours
    ) private returns (uint40 endsAt) {
        uint40 endsBefore = stream.endsAt;
        uint40 from = endsBefore;
        if (
            block.timestamp > endsBefore ||
            !_continuesLastPiece(
                $.boundaries[bookingId],
                uint256(stream.hoursBooked) * 1 hours,
                valueBefore,
                amount,
                uint256(extraHours) * 1 hours
            )
        ) from = _addBoundary($, bookingId, stream, endsBefore, valueBefore);
        endsAt = from + uint40(extraHours) * 1 hours;
        stream.endsAt = endsAt;
        stream.hoursBooked += extraHours;
        if (from != endsBefore) emit StreamResumed(bookingId, from, endsAt);
    }

    /// @dev Whether `amount` over `extraSeconds` streams at exactly the rate of the stream's last
    /// piece (a stream of `durationSeconds` booked and `valueBefore` deposited so far): the
    /// extension then only lengthens that piece, which needs no boundary, and every value streamed
    /// before or after it is the same to the unit (the piece's value and length grow in proportion).
    function _continuesLastPiece(
        mapping(uint256 => Boundary) storage boundaries,
        uint256 durationSeconds,
        uint256 valueBefore,
        uint256 amount,
        uint256 extraSeconds
    ) private view returns (bool) {
        Boundary memory first = boundaries[0];
        uint256 count = first.count;
        if (count == 0) return amount * durationSeconds == valueBefore * extraSeconds;
        Boundary memory last = count == 1 ? first : boundaries[count - 1];
        uint256 pieceSeconds = durationSeconds + first.gapSeconds - last.offset;
        return amount * pieceSeconds == (valueBefore - last.valueBefore) * extraSeconds;
    }

    /// @dev Records that the stream goes on after its current end `endsBefore`, and returns when the
    /// extension starts streaming: at that end if it has not passed; within the grace after it, now,
    /// with nothing streaming in between (a gap: a second boundary with the same value).
    function _addBoundary(
        EscrowStorage storage $,
        uint256 bookingId,
        Stream storage stream,
        uint40 endsBefore,
        uint256 valueBefore
    ) private returns (uint40 from) {
        mapping(uint256 => Boundary) storage boundaries = $.boundaries[bookingId];
        uint40 offset = endsBefore - stream.startedAt;
        Boundary storage first = boundaries[0];
        uint32 count = first.count;
        if (block.timestamp <= endsBefore) {
            boundaries[count] = Boundary(offset, uint96(valueBefore), count == 0 ? 1 : 0, 0);
            if (count != 0) first.count = count + 1;
            return endsBefore;
        }
        if (block.timestamp >= endsBefore + uint256($.gracePeriodSeconds))
            revert EscrowStreamEnded(bookingId, endsBefore);
        from = uint40(block.timestamp);
        uint40 gap = from - endsBefore;
        uint40 gapBefore = first.gapSeconds;
        boundaries[count] = Boundary(offset, uint96(valueBefore), 0, 0);
        boundaries[count + 1] = Boundary(offset + gap, uint96(valueBefore), 0, 0);
        first.count = count + 2;
        first.gapSeconds = gapBefore + gap;
    }

    /// @dev Values the periods from `from` on, one per entry of `creditBps`, and their credits, into
    /// `result`; returns the credits' total. Each period's value is what streams over it, across the
    /// boundaries of the booking's extensions (`_streamedAt`).
    function _valuePeriods(
        EscrowStorage storage $,
        uint256 bookingId,
        Stream memory stream,
        uint256 from,
        uint16[] calldata creditBps,
        RangeSettlement memory result
    ) private view returns (uint256 totalCredit) {
        uint256 amount = $.deposits[bookingId].amount;
        uint256 periodSeconds = $.settings.slaPeriodSeconds;
        uint256 durationSeconds = _duration(stream);
        uint256 activeSeconds = stream.endsAt - stream.startedAt;
        mapping(uint256 => Boundary) storage boundaries = $.boundaries[bookingId];
        uint256 periodEnd = from * periodSeconds;
        uint256 streamedBefore = _streamedAt(boundaries, amount, durationSeconds, periodEnd);
        uint256[] memory amounts = new uint256[](creditBps.length);
        for (uint256 i = 0; i < creditBps.length; ++i) {
            periodEnd = Math.min(periodEnd + periodSeconds, activeSeconds);
            // Both fit in 96 bits: a period is worth at most the deposit.
            uint256 value = streamedBefore;
            streamedBefore = _streamedAt(boundaries, amount, durationSeconds, periodEnd);
            value = streamedBefore - value;
            uint256 credit = (value * creditBps[i]) / BPS;
            amounts[i] = value | (credit << 128);
            totalCredit += credit;
        }
        result.amounts = amounts;
    }

    /// @dev Value streamed `offset` seconds after the stream started: linear between the
    /// boundaries of its extensions (see `Boundary`), rounded down within each piece. The last
    /// piece ends `durationSeconds` (the booked hours) plus the stream's gaps after the start.
    function _streamedAt(
        mapping(uint256 => Boundary) storage boundaries,
        uint256 amount,
        uint256 durationSeconds,
        uint256 offset
    ) private view returns (uint256) {
        Boundary memory first = boundaries[0];
        uint256 count = first.count;
        if (count == 0) return StreamMath.streamed(amount, offset, durationSeconds);
        durationSeconds += first.gapSeconds;
        // How many boundaries are at or before `offset`: the piece runs from the last of them to the next.
        uint256 low = 0;
        uint256 high = count;
        while (low < high) {
            uint256 middle = (low + high) / 2;
            if (boundaries[middle].offset > offset) high = middle;
            else low = middle + 1;
        }
        (uint256 fromOffset, uint256 fromValue) = low == 0
            ? (0, 0)
            : (uint256(boundaries[low - 1].offset), uint256(boundaries[low - 1].valueBefore));
        (uint256 toOffset, uint256 toValue) = low == count
            ? (durationSeconds, amount)
            : (uint256(boundaries[low].offset), uint256(boundaries[low].valueBefore));
        return fromValue + StreamMath.streamed(toValue - fromValue, offset - fromOffset, toOffset - fromOffset);
    }

    /// @dev How many periods have ended `elapsed` seconds into a stream.
    function _endedBy(uint256 elapsed, uint256 periodSeconds, uint256 activeSeconds) private pure returns (uint256) {
        if (elapsed >= activeSeconds) return StreamMath.periodCount(activeSeconds, periodSeconds);
        return elapsed / periodSeconds;
    }

    function _started(StreamState state) private pure returns (bool) {
        return state == StreamState.Streaming || state == StreamState.Stopped || state == StreamState.Closed;
    }

    function _duration(Stream memory stream) private pure returns (uint256) {
        return uint256(stream.hoursBooked) * 1 hours;
    }

    function _credit(
        EscrowStorage storage $,
        uint256 bookingId,
        address consumer,
        address token,
        uint256 amount,
        RefundReason reason
    ) private {
        if (amount == 0) return;
        $.owed[consumer][token] += amount;
        emit ConsumerRefunded(bookingId, consumer, token, amount, reason);
    }

    /// @dev Compensates the consumer of a failed booking with `bondSlashBps` of its amount from the
    /// provider's bonds: the booking's token first, then the provider's other bond tokens, in id
    /// order, for the USD value still missing. A token that cannot be priced right now is skipped,
    /// so that a stale feed never blocks a refund.
    function _slash(
        EscrowStorage storage $,
        uint256 bookingId,
        Deposit memory booking,
        address consumer,
        address token
    ) private {
        uint256 wanted = (uint256(booking.amount) * $.settings.bondSlashBps) / BPS;
        uint256 missing = wanted - _slashBond($, bookingId, booking.provider, consumer, token, wanted);
        if (missing == 0) return;
        IPriceOracle.UsdPrice memory price = _tryPrice($, token);
        if (price.answer == 0) return;
        uint256 missingUsdE8 = PriceMath.tokenToUsd(missing, price.answer, price.feedDecimals, price.tokenDecimals);
        uint64 ids = $.providerTokens[booking.provider];
        for (uint256 id = 0; missingUsdE8 != 0 && ids >> id != 0; ++id) {
            if ((ids >> id) & 1 == 0) continue;
            address other = _knownToken($, uint8(id));
            if (other != token)
                missingUsdE8 = _slashInUsd($, bookingId, booking.provider, consumer, other, missingUsdE8);
        }
    }

    /// @dev Takes up to `usdE8` worth of `token` from the provider's bond; returns the USD value
    /// still missing.
    function _slashInUsd(
        EscrowStorage storage $,
        uint256 bookingId,
        address provider,
        address consumer,
        address token,
        uint256 usdE8
    ) private returns (uint256) {
        Bond memory bond = $.bonds[provider][token];
        if (bond.amount == 0 && bond.unbonding == 0) return usdE8;
        IPriceOracle.UsdPrice memory price = _tryPrice($, token);
        if (price.answer == 0) return usdE8;
        // Rounded down: a slash never takes more than the value still missing.
        uint256 wanted = PriceMath.usdToTokenFloor(usdE8, price.answer, price.feedDecimals, price.tokenDecimals);
        uint256 taken = _slashBond($, bookingId, provider, consumer, token, wanted);
        if (taken == wanted) return 0;
        return usdE8 - PriceMath.tokenToUsd(taken, price.answer, price.feedDecimals, price.tokenDecimals);
    }

    /// @dev Takes up to `wanted` of `token` from the provider's bond (bonded funds first, then funds
    /// still unbonding) for the consumer; returns what it took.
    function _slashBond(
        EscrowStorage storage $,
        uint256 bookingId,
        address provider,
        address consumer,
        address token,
        uint256 wanted
    ) private returns (uint256 slashed) {
        Bond storage bond = $.bonds[provider][token];
        uint256 fromBond = wanted < bond.amount ? wanted : bond.amount;
        uint256 fromUnbonding = wanted - fromBond < bond.unbonding ? wanted - fromBond : bond.unbonding;
        slashed = fromBond + fromUnbonding;
        if (slashed == 0) return 0;
        bond.amount -= uint96(fromBond);
        bond.unbonding -= uint96(fromUnbonding);
        $.owed[consumer][token] += slashed;
        emit BondSlashed(bookingId, provider, consumer, token, slashed);
    }

    /// @dev The USD price of `token`, or a zero answer if it cannot be priced right now.
    function _tryPrice(EscrowStorage storage $, address token) private view returns (IPriceOracle.UsdPrice memory) {
        try $.priceOracle.usdPrice(token) returns (IPriceOracle.UsdPrice memory price) {
            return price;
        } catch {
            return IPriceOracle.UsdPrice(0, 0, 0);
        }
    }

    /// @dev Takes a stream's amount off its provider's active value. Saturating: streams started
    /// before active values were kept were never added.
    function _releaseActive(EscrowStorage storage $, address provider, address token, uint256 amount) private {
        mapping(address => uint256) storage active = $.activeValue[provider];
        uint256 current = active[token];
        active[token] = current > amount ? current - amount : 0;
    }

    function _noteToken(EscrowStorage storage $, address provider, uint8 tokenId) private {
        $.providerTokens[provider] |= uint64(1) << tokenId;
    }

    function _payFee(EscrowStorage storage $, address token, uint256 fee) private {
        if (fee != 0) $.owed[$.settings.treasury][token] += fee;
    }

    /// @dev Takes `amount` from `from`: the native currency must come with the call; an ERC-20 must
    /// arrive in full.
    function _receive(address token, address from, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert EscrowValueMismatch(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert EscrowValueMismatch(0, msg.value);
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert EscrowTransferShortfall(token, amount, received);
    }

    function _send(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Address of a payment token id; id 0 is the native currency.
    function _token(EscrowStorage storage $, uint8 tokenId) private returns (address token) {
        if (tokenId == 0) return address(0);
        token = $.tokens[tokenId];
        if (token == address(0)) {
            token = $.priceOracle.tokenAddress(tokenId);
            $.tokens[tokenId] = token;
        }
    }

    /// @dev Like `_token`, without caching: for views.
    function _knownToken(EscrowStorage storage $, uint8 tokenId) private view returns (address token) {
        if (tokenId == 0) return address(0);
        token = $.tokens[tokenId];
        if (token == address(0)) token = $.priceOracle.tokenAddress(tokenId);
    }

    function _setSettings(EscrowStorage storage $, Settings calldata newSettings) private {
        if (
            newSettings.treasury == address(0) ||
            newSettings.protocolFeeBps > MAX_PROTOCOL_FEE_BPS ||
            newSettings.reportWindowSeconds == 0 ||
            newSettings.reportWindowSeconds > MAX_REPORT_WINDOW_SECONDS ||
            newSettings.bondSlashBps > BPS ||
            newSettings.unbondingDelaySeconds > MAX_UNBONDING_DELAY_SECONDS
        ) revert EscrowInvalidSettings();
        $.settings = newSettings;
        emit SettingsUpdated(newSettings);
    }
}
