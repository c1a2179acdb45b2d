// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {StreamMath} from "../libraries/StreamMath.sol";

/// @title EscrowManager
/// @notice Escrow and payment streams of D-CloudX bookings, provider bonds, and the ledger of what
/// each account can claim. Pull payments only: every transfer out goes to the account that asked.
/// @dev A booking takes two storage slots: its Deposit (written when booked) and its Stream
/// (written when billing starts). Per token, the balance held always covers, for every booking,
/// `streamed(endsAt) - debited` (or the whole deposit before it starts), plus everything owed and
/// every bond.
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
    ) external payable onlyRole(MARKETPLACE_ROLE) nonReentrant {
        if (amount == 0) revert EscrowZeroAmount();
        if (amount > type(uint96).max) revert EscrowAmountTooLarge(amount);
        Deposit storage booking = _getEscrowStorage().deposits[bookingId];
        if (booking.amount != 0) revert EscrowBookingExists(bookingId);

        booking.provider = provider;
        booking.amount = uint96(amount);
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
    }

    /// @inheritdoc IEscrowManager
    function refundDeposit(
        uint256 bookingId,
        address consumer,
        uint8 tokenId,
        bool slashBond
    ) external onlyRole(MARKETPLACE_ROLE) {
        EscrowStorage storage $ = _getEscrowStorage();
        Deposit memory booking = $.deposits[bookingId];
        if (booking.amount == 0) revert EscrowUnknownBooking(bookingId);
        Stream storage stream = $.streams[bookingId];
        if (stream.state != StreamState.None) revert EscrowInvalidState(bookingId, stream.state);

        stream.tokenId = tokenId;
        stream.state = StreamState.Refunded;
        address token = _token($, tokenId);
        _credit($, bookingId, consumer, token, booking.amount, RefundReason.Cancelled);
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
            booking.amount - StreamMath.streamed(booking.amount, block.timestamp - stream.startedAt, _duration(stream));
        address token = _token($, stream.tokenId);
        _credit($, bookingId, consumer, token, refund, RefundReason.Terminated);
        if (slashBond) _slash($, bookingId, booking, consumer, token);
    }

    /// @inheritdoc IEscrowManager
    function settlePeriod(
        uint256 bookingId,
        uint256 period,
        uint16 creditBps,
        address consumer
    )
        external
        onlyRole(SLA_ROLE)
        returns (bool settled, address provider, address token, uint256 periodValue, uint256 credit)
    {
        EscrowStorage storage $ = _getEscrowStorage();
        Stream storage stream = $.streams[bookingId];
        provider = $.deposits[bookingId].provider;
        if (stream.state != StreamState.Streaming && stream.state != StreamState.Stopped) {
            revert EscrowInvalidState(bookingId, stream.state);
        }
        token = _token($, stream.tokenId);
        if (period < stream.settledPeriods) return (false, provider, token, 0, 0);

        periodValue = _reportablePeriodValue($, bookingId, period, stream);
        credit = (periodValue * creditBps) / BPS;
        stream.settledPeriods = uint32(period + 1);
        if (credit != 0) {
            stream.debited += uint96(credit);
            _credit($, bookingId, consumer, token, credit, RefundReason.SlaCredit);
        }
        settled = true;
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
        emit EarningsWithdrawn(bookingId, msg.sender, token, gross, fee);
        _payFee($, token, fee);
        _send(token, msg.sender, gross - fee);
    }

    /// @inheritdoc IEscrowManager
    function withdrawEarningsBatch(uint256[] calldata bookingIds) external nonReentrant {
        EscrowStorage storage $ = _getEscrowStorage();
        uint256[MAX_TOKENS] memory grossByToken;
        uint256[MAX_TOKENS] memory feeByToken;
        uint256 tokensUsed;

        for (uint256 i = 0; i < bookingIds.length; ++i) {
            (uint8 tokenId, uint256 gross, uint256 fee) = _takeEarnings($, bookingIds[i]);
            if (gross == 0) continue;
            emit EarningsWithdrawn(bookingIds[i], msg.sender, _token($, tokenId), gross, fee);
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
            _send(token, msg.sender, grossByToken[tokenId] - feeByToken[tokenId]);
        }
    }

    /// @inheritdoc IEscrowManager
    function claim(address token) external nonReentrant {
        mapping(address => uint256) storage balances = _getEscrowStorage().owed[msg.sender];
        uint256 amount = balances[token];
        if (amount == 0) revert EscrowNothingToClaim(msg.sender, token);
        balances[token] = 0;
        emit Claimed(msg.sender, token, amount);
        _send(token, msg.sender, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Provider bonds
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function depositBond(address token, uint256 amount) external payable nonReentrant {
        EscrowStorage storage $ = _getEscrowStorage();
        if (amount == 0) revert EscrowZeroAmount();
        if (!$.priceOracle.paymentToken(token).enabled) revert EscrowUnsupportedToken(token);
        Bond storage bond = $.bonds[msg.sender][token];
        uint256 total = bond.amount + amount;
        if (total > type(uint96).max) revert EscrowAmountTooLarge(total);
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
        Bond storage bond = _getEscrowStorage().bonds[msg.sender][token];
        uint256 amount = bond.unbonding;
        if (amount == 0) revert EscrowNothingToClaim(msg.sender, token);
        if (block.timestamp < bond.unbondingAvailableAt) revert EscrowBondLocked(bond.unbondingAvailableAt);
        bond.unbonding = 0;
        emit BondWithdrawn(msg.sender, token, amount);
        _send(token, msg.sender, amount);
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

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IEscrowManager
    function withdrawable(uint256 bookingId) external view returns (uint256 gross) {
        EscrowStorage storage $ = _getEscrowStorage();
        return _unlocked($, $.deposits[bookingId], $.streams[bookingId]) - $.streams[bookingId].debited;
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
    function owed(address account, address token) external view returns (uint256) {
        return _getEscrowStorage().owed[account][token];
    }

    /// @inheritdoc IEscrowManager
    function bondOf(address provider, address token) external view returns (Bond memory) {
        return _getEscrowStorage().bonds[provider][token];
    }

    /// @inheritdoc IEscrowManager
    function settings() external view returns (Settings memory) {
        return _getEscrowStorage().settings;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Debits what the caller (who must be the provider) can withdraw from a booking.
    function _takeEarnings(
        EscrowStorage storage $,
        uint256 bookingId
    ) private returns (uint8 tokenId, uint256 gross, uint256 fee) {
        Deposit memory booking = $.deposits[bookingId];
        if (booking.provider != msg.sender) revert EscrowNotProvider(bookingId, msg.sender);
        Stream storage stream = $.streams[bookingId];
        tokenId = stream.tokenId;
        gross = _unlocked($, booking, stream) - stream.debited;
        if (gross == 0) return (tokenId, 0, 0);
        fee = (gross * stream.feeBps) / BPS;
        stream.debited += uint96(gross);
    }

    /// @dev Streamed value the provider's share may be paid from: through settled periods and
    /// periods whose report window has closed.
    function _unlocked(
        EscrowStorage storage $,
        Deposit memory booking,
        Stream memory stream
    ) private view returns (uint256) {
        if (stream.state != StreamState.Streaming && stream.state != StreamState.Stopped) return 0;
        uint256 unlockedUntil = StreamMath.unlockedUntil(
            stream.settledPeriods,
            $.settings.slaPeriodSeconds,
            stream.endsAt - stream.startedAt,
            block.timestamp - stream.startedAt,
            $.settings.reportWindowSeconds
        );
        return StreamMath.streamed(booking.amount, unlockedUntil, _duration(stream));
    }

    /// @dev Value of `period`, reverting unless it can be reported now: it exists, has ended, its
    /// report window is open, and every earlier unsettled period's window has closed (those count
    /// as compliant).
    function _reportablePeriodValue(
        EscrowStorage storage $,
        uint256 bookingId,
        uint256 period,
        Stream memory stream
    ) private view returns (uint256) {
        uint256 periodSeconds = $.settings.slaPeriodSeconds;
        uint256 window = $.settings.reportWindowSeconds;
        uint256 activeSeconds = stream.endsAt - stream.startedAt;
        uint256 count = StreamMath.periodCount(activeSeconds, periodSeconds);
        if (period >= count) revert EscrowPeriodOutOfRange(bookingId, period, count);

        uint256 nowOffset = block.timestamp - stream.startedAt;
        uint256 end = StreamMath.periodEnd(period, periodSeconds, activeSeconds);
        if (nowOffset < end) revert EscrowPeriodNotEnded(bookingId, period, stream.startedAt + end);
        if (nowOffset >= end + window) {
            revert EscrowReportWindowClosed(bookingId, period, stream.startedAt + end + window);
        }
        if (
            period > stream.settledPeriods &&
            nowOffset < StreamMath.periodEnd(period - 1, periodSeconds, activeSeconds) + window
        ) revert EscrowPeriodOutOfOrder(bookingId, period, stream.settledPeriods);

        uint256 amount = $.deposits[bookingId].amount;
        return StreamMath.periodValue(amount, _duration(stream), period, periodSeconds, activeSeconds);
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

    /// @dev Compensates the consumer of a failed booking from the provider's bond in the booking's
    /// token, bonded funds first, then funds still unbonding.
    function _slash(
        EscrowStorage storage $,
        uint256 bookingId,
        Deposit memory booking,
        address consumer,
        address token
    ) private {
        uint256 wanted = (uint256(booking.amount) * $.settings.bondSlashBps) / BPS;
        Bond storage bond = $.bonds[booking.provider][token];
        uint256 fromBond = wanted < bond.amount ? wanted : bond.amount;
        uint256 fromUnbonding = wanted - fromBond < bond.unbonding ? wanted - fromBond : bond.unbonding;
        uint256 slashed = fromBond + fromUnbonding;
        if (slashed == 0) return;
        bond.amount -= uint96(fromBond);
        bond.unbonding -= uint96(fromUnbonding);
        $.owed[consumer][token] += slashed;
        emit BondSlashed(bookingId, booking.provider, consumer, token, slashed);
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
