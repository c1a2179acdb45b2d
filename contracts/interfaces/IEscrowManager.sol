// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IEscrowManager
/// @notice Holds every booking's payment (native currency or ERC-20) and streams it to the provider
/// over the active period. The consumer gets back what did not stream when a booking is cancelled
/// or terminated early, plus SLA credits; the provider withdraws what has streamed, less credits and
/// the protocol fee, once each period is settled by the SLA oracles or its report window has closed.
/// Providers post bonds in any payment token; together they are a USD-valued commitment, slashed
/// across tokens to compensate consumers for provider failures. Money leaves only through
/// withdrawals and claims of the accounts entitled to it, to them or to a recipient they name.
/// @dev Trust rule. The escrow keeps the money; the marketplace keeps the booking. The escrow
/// records of each booking only its provider and amount (when deposited) and its stream (when
/// started); the booking's consumer, token id and hours are the marketplace's record, and the
/// escrow takes them as arguments from the holder of MARKETPLACE_ROLE (and the consumer from the
/// holder of SLA_ROLE), which it trusts to pass the booking's own. Any other caller can only move
/// money it is owed itself. The invariant suites check that both contracts agree on every booking.
interface IEscrowManager {
    /// @notice Where a booking's stream stands.
    /// @dev None: funded, not started. Streaming: started (it may have run to its end).
    /// Stopped: terminated early. Refunded: cancelled before it started. Closed: ran to its end and
    /// the booking was completed.
    enum StreamState {
        None,
        Streaming,
        Stopped,
        Refunded,
        Closed
    }

    /// @notice Why a consumer was credited.
    enum RefundReason {
        Cancelled,
        Terminated,
        SlaCredit
    }

    /// @notice How a reported SLA period fared. Only `Settled` changed anything.
    /// @dev AlreadySettled: a report for it was settled before. PeriodNotEnded: the period is still
    /// running. ReportWindowClosed: too late; the period counts as compliant. EarlierPeriodOpen: an
    /// earlier period can still be reported and must settle first.
    enum SettleStatus {
        Settled,
        AlreadySettled,
        PeriodNotEnded,
        ReportWindowClosed,
        EarlierPeriodOpen
    }

    /// @notice The outcome of reporting consecutive SLA periods of a booking. From the first reported
    /// period, in order: `alreadySettled` periods settled before, `windowClosed` periods whose report
    /// window had closed (they count as compliant), then the periods settled now (one entry each in
    /// `amounts`); the periods after those could not settle now, for `unsettled`.
    /// @param provider The booking's provider.
    /// @param token The booking's payment token.
    /// @param feeBps The protocol fee on the booking's earnings.
    /// @param unsettled Why the periods after the settled ones did not settle (`Settled` if none remain).
    /// @param amounts For each period settled now, its value (the low 128 bits) and the amount
    /// credited to the consumer (the high 128 bits), in the booking's token.
    struct RangeSettlement {
        address provider;
        address token;
        uint16 feeBps;
        uint32 alreadySettled;
        uint32 windowClosed;
        SettleStatus unsettled;
        uint256[] amounts;
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

    /// @notice Where an extension of a started stream begins: the offset from `startedAt` of the end
    /// it extended, and the value streamed by then. The stream is linear between boundaries, so
    /// each extension streams at its own price and nothing already streamed changes. One slot.
    /// An extension at exactly the rate of the stream's last piece (same price, same token price)
    /// adds none: it lengthens that piece. A resume from grace adds two boundaries with the same
    /// value: the old end and the resume; nothing streams between them (the gap).
    /// @param count How many boundaries the stream has (kept in its first boundary only).
    /// @param gapSeconds Seconds the stream spent in gaps (kept in its first boundary only): the
    /// stream runs over `hoursBooked` hours plus its gaps.
    struct Boundary {
        uint40 offset;
        uint96 valueBefore;
        uint32 count;
        uint40 gapSeconds;
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

    /// @notice Emitted when a booking's payment is taken into escrow, just after the marketplace's
    /// BookingRequested event (which names the provider) in the same transaction.
    event Deposited(uint256 indexed bookingId, address indexed consumer, address token, uint256 amount);
    /// @notice Emitted when a booking's deposit grows by an extension, just before the marketplace's
    /// BookingExtended event in the same transaction.
    event DepositIncreased(uint256 indexed bookingId, address indexed consumer, address token, uint256 amount);
    /// @notice Emitted when an extension in its grace resumed a booking's stream: nothing streamed
    /// from its old end to `resumedAt`; billing restarts at `resumedAt` and runs to `endsAt`.
    event StreamResumed(uint256 indexed bookingId, uint40 resumedAt, uint40 endsAt);
    /// @notice Emitted when the grace after a booking's end changes.
    event GracePeriodUpdated(uint32 gracePeriodSeconds);
    /// @notice Emitted when a consumer's late cancellation pays the provider its fee, claimable with `claim`.
    event CancellationFeeCredited(
        uint256 indexed bookingId,
        address indexed provider,
        address indexed token,
        uint256 amount
    );
    /// @notice Emitted when a provider withdraws a booking's streamed value.
    /// @param gross Amount taken from the booking; `recipient` received `gross - fee`.
    /// @param recipient The provider, or the recipient it named.
    event EarningsWithdrawn(
        uint256 indexed bookingId,
        address indexed provider,
        address indexed token,
        uint256 gross,
        uint256 fee,
        address recipient
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
    /// @param recipient Who received it: the account, or the recipient it named.
    event Claimed(address indexed account, address indexed token, uint256 amount, address recipient);
    /// @notice Emitted when a provider adds to its bond.
    event BondDeposited(address indexed provider, address indexed token, uint256 amount);
    /// @notice Emitted when a provider asks to withdraw part of its bond.
    event BondUnbondingRequested(address indexed provider, address indexed token, uint256 amount, uint40 availableAt);
    /// @notice Emitted when a provider withdraws unbonded funds.
    /// @param recipient The provider, or the recipient it named.
    event BondWithdrawn(address indexed provider, address indexed token, uint256 amount, address recipient);
    /// @notice Emitted, once per token taken from, when a provider's bonds compensate the consumer
    /// of a failed booking (the booking's token first, then other bond tokens at the oracle price).
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
    /// @notice The booking runs until `endsAt`.
    error EscrowStreamNotEnded(uint256 bookingId, uint256 endsAt);
    /// @notice The booking has no such SLA period.
    error EscrowPeriodOutOfRange(uint256 bookingId, uint256 period, uint256 periodCount);
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
    /// @notice Money cannot be sent to the zero address.
    error EscrowZeroRecipient();
    /// @notice A grace period above 30 days.
    error EscrowInvalidGracePeriod(uint32 gracePeriodSeconds);
    /// @notice A cancellation fee above the deposit.
    error EscrowFeeAboveDeposit(uint256 bookingId, uint256 feeBps);

    /// @notice Takes a booking's payment into escrow. Marketplace only.
    /// @dev ERC-20s are pulled from `consumer`, who must have approved this contract.
    function deposit(
        uint256 bookingId,
        address consumer,
        address provider,
        address token,
        uint256 amount
    ) external payable;

    /// @notice Adds `amount` to a booking's deposit for `extraHours` more hours. Before billing starts
    /// the deposit simply grows; a running stream goes on at the extension's own rate after its
    /// current end. After that end and within its grace, the stream resumes: nothing streams from
    /// the old end to now (the gap, recorded as two boundaries with the same value), and the
    /// extension streams from now on (StreamResumed). After the grace it reverts with
    /// EscrowStreamEnded. Marketplace only.
    /// @return endsAt The stream's new end (0 before billing starts).
    function extendDeposit(
        uint256 bookingId,
        address consumer,
        address token,
        uint256 amount,
        uint16 extraHours
    ) external payable returns (uint40 endsAt);

    /// @notice Starts billing: the deposit streams to the provider over `hoursBooked`. Marketplace only.
    /// @return startedAt Start of the stream.
    /// @return endsAt End of the stream.
    function startStream(
        uint256 bookingId,
        uint8 tokenId,
        uint16 hoursBooked
    ) external returns (uint40 startedAt, uint40 endsAt);

    /// @notice Refunds a booking that never started, less `cancellationFeeBps` of the deposit
    /// (credited to the provider); slashes the provider's bonds when the provider let provisioning time out.
    /// Marketplace only.
    function refundDeposit(
        uint256 bookingId,
        address consumer,
        uint8 tokenId,
        uint16 cancellationFeeBps,
        bool slashBond
    ) external;

    /// @notice Stops a stream early and refunds what has not streamed; slashes the provider's bonds
    /// when the provider terminated. Marketplace only.
    /// @return refund Amount credited to the consumer.
    function stopStream(uint256 bookingId, address consumer, bool slashBond) external returns (uint256 refund);

    /// @notice Marks a stream that ran to its end as no longer active (it stops counting toward
    /// the provider's bond coverage); reverts with EscrowStreamNotEnded before its end. Marketplace only.
    /// @return graceEndsAt When the stream's grace ends (its end plus `gracePeriod`).
    function closeStream(uint256 bookingId) external returns (uint256 graceEndsAt);

    /// @notice Sets the grace after a booking's end (at most 30 days): in it, the booking is
    /// suspended, streams nothing, and an extension resumes it. DAO only.
    function setGracePeriod(uint32 gracePeriodSeconds) external;

    /// @notice Settles the SLA periods from `firstPeriod` on, one per entry of `creditBps`, that can
    /// be reported now, in order, moving `creditBps[i]` of each one's value from the provider to the
    /// consumer. Periods that cannot settle now are left as they are; a period the booking does not
    /// have reverts. SLA enforcement only.
    function settlePeriods(
        uint256 bookingId,
        uint256 firstPeriod,
        uint16[] calldata creditBps,
        address consumer
    ) external returns (RangeSettlement memory);

    /// @notice Pays the caller (the booking's provider) what is withdrawable, less the protocol fee.
    function withdrawEarnings(uint256 bookingId) external;

    /// @notice Pays the caller what is withdrawable from each of `bookingIds`, one transfer per token.
    /// Bookings with nothing withdrawable are skipped.
    function withdrawEarningsBatch(uint256[] calldata bookingIds) external;

    /// @notice Like `withdrawEarningsBatch`, paying `recipient` instead of the caller (for accounts
    /// that cannot receive the native currency).
    function withdrawEarningsTo(uint256[] calldata bookingIds, address recipient) external;

    /// @notice Pays the caller everything it is owed in `token` (refunds, credits, slashes, fees).
    function claim(address token) external;

    /// @notice Pays `recipient` everything the caller is owed in `token`.
    function claimTo(address token, address recipient) external;

    /// @notice Adds `amount` to the caller's bond in `token` (a payment token).
    function depositBond(address token, uint256 amount) external payable;

    /// @notice Moves `amount` of the caller's bond to unbonding; withdrawable after the unbonding delay.
    function requestBondWithdrawal(address token, uint256 amount) external;

    /// @notice Withdraws the caller's unbonded funds in `token`.
    function withdrawBond(address token) external;

    /// @notice Withdraws the caller's unbonded funds in `token` to `recipient`.
    function withdrawBondTo(address token, address recipient) external;

    /// @notice Sets the protocol parameters. The SLA period length and report window cannot change.
    function updateSettings(Settings calldata settings) external;

    /// @notice What the provider could withdraw from `bookingId` now, before the fee.
    function withdrawable(uint256 bookingId) external view returns (uint256 gross);

    /// @notice The deposit of `bookingId`.
    function depositOf(uint256 bookingId) external view returns (Deposit memory);

    /// @notice The stream of `bookingId`.
    function streamOf(uint256 bookingId) external view returns (Stream memory);

    /// @notice The boundaries of a stream's extensions, in order (empty if never extended while running).
    function boundariesOf(uint256 bookingId) external view returns (Boundary[] memory);

    /// @notice What `account` can claim in `token`.
    function owed(address account, address token) external view returns (uint256);

    /// @notice The bond of `provider` in `token`.
    function bondOf(address provider, address token) external view returns (Bond memory);

    /// @notice The amount of `provider`'s active bookings (billing started, not ended) in `token`.
    function activeValueOf(address provider, address token) external view returns (uint256);

    /// @notice A booking's deposit in USD at the oracle price (8 decimals); reverts if its token
    /// cannot be priced right now.
    /// @param tokenId The booking's payment token id (the marketplace's record).
    function depositUsd(uint256 bookingId, uint8 tokenId) external view returns (uint256 usdE8);

    /// @notice What `provider` has bonded and the value of its active bookings, both in USD at the
    /// oracle price, across every token (bonds being withdrawn do not count). A token that cannot
    /// be priced right now counts on neither side, so that one stale feed never blocks bookings.
    function bondCoverage(address provider) external view returns (uint256 bondUsdE8, uint256 activeUsdE8);

    /// @notice The protocol parameters.
    function settings() external view returns (Settings memory);

    /// @notice Seconds after a booking's end during which an extension resumes it.
    function gracePeriod() external view returns (uint32);
}
