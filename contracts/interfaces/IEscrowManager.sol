// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IEscrowManager
/// @notice Holds every booking's payment (native currency or ERC-20) and streams it to the provider
/// over the active period. The consumer gets back what did not stream when a booking is cancelled
/// or terminated early, plus SLA credits; the provider withdraws what has streamed, less credits and
/// the protocol fee, once each period is settled by the SLA oracles or its report window has closed.
/// Providers may post bonds, which are slashed to compensate consumers for provider failures.
/// Money leaves only through withdrawals and claims of the accounts entitled to it.
interface IEscrowManager {
    /// @notice Where a booking's stream stands.
    /// @dev None: funded, not started. Streaming: started (it may have run to its end).
    /// Stopped: terminated early. Refunded: cancelled before it started.
    enum StreamState {
        None,
        Streaming,
        Stopped,
        Refunded
    }

    /// @notice Why a consumer was credited.
    enum RefundReason {
        Cancelled,
        Terminated,
        SlaCredit
    }

    /// @notice A booking's deposit, written when it is booked. One storage slot.
    struct Deposit {
        address provider;
        uint96 amount;
    }

    /// @notice A booking's payment stream, written when provisioning is confirmed. One storage slot.
    /// @param tokenId Payment token id (see IPriceOracle).
    /// @param feeBps Protocol fee in force when billing started.
    /// @param startedAt When billing started.
    /// @param endsAt When the stream ends (earlier than booked if terminated).
    /// @param hoursBooked Booked duration: the stream's rate is `amount / (hoursBooked * 3600)` per second.
    /// @param settledPeriods SLA periods settled so far; they settle in order.
    /// @param debited Taken from the provider's share so far: gross withdrawals plus SLA credits.
    struct Stream {
        uint8 tokenId;
        StreamState state;
        uint16 feeBps;
        uint40 startedAt;
        uint40 endsAt;
        uint16 hoursBooked;
        uint32 settledPeriods;
        uint96 debited;
    }

    /// @notice A provider's bond in one token. One storage slot.
    /// @param amount Bonded, slashable.
    /// @param unbonding Requested for withdrawal; still slashable until withdrawn.
    /// @param unbondingAvailableAt When `unbonding` can be withdrawn.
    struct Bond {
        uint96 amount;
        uint96 unbonding;
        uint40 unbondingAvailableAt;
    }

    /// @notice Protocol parameters.
    /// @param treasury Receives the protocol fee.
    /// @param protocolFeeBps Fee on provider earnings, in basis points.
    /// @param slaPeriodSeconds Length of an SLA period (fixed at deployment).
    /// @param reportWindowSeconds How long after a period ends its SLA report is accepted (fixed at
    /// deployment).
    /// @param bondSlashBps Share of a failed booking's amount slashed from the provider's bond.
    /// @param unbondingDelaySeconds Wait between requesting a bond withdrawal and withdrawing.
    struct Settings {
        address treasury;
        uint16 protocolFeeBps;
        uint32 slaPeriodSeconds;
        uint32 reportWindowSeconds;
        uint16 bondSlashBps;
        uint32 unbondingDelaySeconds;
    }

    /// @notice Emitted when a provider withdraws a booking's streamed value.
    /// @param gross Amount taken from the booking; the provider received `gross - fee`.
    event EarningsWithdrawn(
        uint256 indexed bookingId,
        address indexed provider,
        address indexed token,
        uint256 gross,
        uint256 fee
    );
    /// @notice Emitted when a consumer is credited a refund, claimable with `claim`.
    event ConsumerRefunded(
        uint256 indexed bookingId,
        address indexed consumer,
        address indexed token,
        uint256 amount,
        RefundReason reason
    );
    /// @notice Emitted when an account claims what it is owed.
    event Claimed(address indexed account, address indexed token, uint256 amount);
    /// @notice Emitted when a provider adds to its bond.
    event BondDeposited(address indexed provider, address indexed token, uint256 amount);
    /// @notice Emitted when a provider asks to withdraw part of its bond.
    event BondUnbondingRequested(address indexed provider, address indexed token, uint256 amount, uint40 availableAt);
    /// @notice Emitted when a provider withdraws unbonded funds.
    event BondWithdrawn(address indexed provider, address indexed token, uint256 amount);
    /// @notice Emitted when a provider's bond compensates the consumer of a failed booking.
    event BondSlashed(
        uint256 indexed bookingId,
        address indexed provider,
        address indexed consumer,
        address token,
        uint256 amount
    );
    /// @notice Emitted when a parameter changes.
    event SettingsUpdated(Settings settings);

    /// @notice A deposit of zero.
    error EscrowZeroAmount();
    /// @notice An amount above what a booking or bond can hold (2^96 − 1).
    error EscrowAmountTooLarge(uint256 amount);
    /// @notice The native currency sent does not match the amount.
    error EscrowValueMismatch(uint256 expected, uint256 received);
    /// @notice Fewer tokens arrived than were sent (fee-on-transfer tokens are not supported).
    error EscrowTransferShortfall(address token, uint256 expected, uint256 received);
    /// @notice The booking already has a deposit.
    error EscrowBookingExists(uint256 bookingId);
    /// @notice The booking has no deposit.
    error EscrowUnknownBooking(uint256 bookingId);
    /// @notice The booking's stream is not in a state that allows this.
    error EscrowInvalidState(uint256 bookingId, StreamState state);
    /// @notice Only the booking's provider may withdraw its earnings.
    error EscrowNotProvider(uint256 bookingId, address caller);
    /// @notice Nothing is withdrawable yet.
    error EscrowNothingToWithdraw();
    /// @notice The stream has already run to its end.
    error EscrowStreamEnded(uint256 bookingId, uint256 endsAt);
    /// @notice The booking has no such SLA period.
    error EscrowPeriodOutOfRange(uint256 bookingId, uint256 period, uint256 periodCount);
    /// @notice The SLA period has not ended yet.
    error EscrowPeriodNotEnded(uint256 bookingId, uint256 period, uint256 endsAt);
    /// @notice The SLA period's report window has closed; it counts as compliant.
    error EscrowReportWindowClosed(uint256 bookingId, uint256 period, uint256 closedAt);
    /// @notice An earlier period of the booking can still be reported and must settle first.
    error EscrowPeriodOutOfOrder(uint256 bookingId, uint256 period, uint256 nextPeriod);
    /// @notice The account is owed nothing in this token.
    error EscrowNothingToClaim(address account, address token);
    /// @notice The token cannot be used for bonds.
    error EscrowUnsupportedToken(address token);
    /// @notice The bond holds less than requested.
    error EscrowInsufficientBond(address provider, address token, uint256 available, uint256 requested);
    /// @notice Unbonded funds are not available yet.
    error EscrowBondLocked(uint256 availableAt);
    /// @notice A parameter is out of its allowed range.
    error EscrowInvalidSettings();

    /// @notice Takes a booking's payment into escrow. Marketplace only.
    /// @dev ERC-20s are pulled from `consumer`, who must have approved this contract.
    function deposit(
        uint256 bookingId,
        address consumer,
        address provider,
        address token,
        uint256 amount
    ) external payable;

    /// @notice Starts billing: the deposit streams to the provider over `hoursBooked`. Marketplace only.
    /// @return startedAt Start of the stream.
    /// @return endsAt End of the stream.
    function startStream(
        uint256 bookingId,
        uint8 tokenId,
        uint16 hoursBooked
    ) external returns (uint40 startedAt, uint40 endsAt);

    /// @notice Refunds a booking that never started, in full; slashes the provider's bond when the
    /// provider let provisioning time out. Marketplace only.
    function refundDeposit(uint256 bookingId, address consumer, uint8 tokenId, bool slashBond) external;

    /// @notice Stops a stream early and refunds what has not streamed; slashes the provider's bond
    /// when the provider terminated. Marketplace only.
    /// @return refund Amount credited to the consumer.
    function stopStream(uint256 bookingId, address consumer, bool slashBond) external returns (uint256 refund);

    /// @notice Settles one SLA period, moving `creditBps` of its value from the provider to the
    /// consumer. SLA enforcement only.
    /// @return settled False if the period was already settled (nothing changed).
    /// @return provider The booking's provider.
    /// @return token The booking's payment token.
    /// @return periodValue Value of the period.
    /// @return credit Amount credited to the consumer.
    function settlePeriod(
        uint256 bookingId,
        uint256 period,
        uint16 creditBps,
        address consumer
    ) external returns (bool settled, address provider, address token, uint256 periodValue, uint256 credit);

    /// @notice Pays the caller (the booking's provider) what is withdrawable, less the protocol fee.
    function withdrawEarnings(uint256 bookingId) external;

    /// @notice Pays the caller what is withdrawable from each of `bookingIds`, one transfer per token.
    /// Bookings with nothing withdrawable are skipped.
    function withdrawEarningsBatch(uint256[] calldata bookingIds) external;

    /// @notice Pays the caller everything it is owed in `token` (refunds, credits, slashes, fees).
    function claim(address token) external;

    /// @notice Adds `amount` to the caller's bond in `token` (a payment token).
    function depositBond(address token, uint256 amount) external payable;

    /// @notice Moves `amount` of the caller's bond to unbonding; withdrawable after the unbonding delay.
    function requestBondWithdrawal(address token, uint256 amount) external;

    /// @notice Withdraws the caller's unbonded funds in `token`.
    function withdrawBond(address token) external;

    /// @notice Sets the protocol parameters. The SLA period length and report window cannot change.
    function updateSettings(Settings calldata settings) external;

    /// @notice What the provider could withdraw from `bookingId` now, before the fee.
    function withdrawable(uint256 bookingId) external view returns (uint256 gross);

    /// @notice The deposit of `bookingId`.
    function depositOf(uint256 bookingId) external view returns (Deposit memory);

    /// @notice The stream of `bookingId`.
    function streamOf(uint256 bookingId) external view returns (Stream memory);

    /// @notice What `account` can claim in `token`.
    function owed(address account, address token) external view returns (uint256);

    /// @notice The bond of `provider` in `token`.
    function bondOf(address provider, address token) external view returns (Bond memory);

    /// @notice The protocol parameters.
    function settings() external view returns (Settings memory);
}
