// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IBookingRenewals
/// @notice Non-custodial auto-renew: a consumer sets a renewal policy for a booking, and anyone may
/// then renew it near its end, at the resource's price at that time, paid from the consumer's own
/// funds: for ERC-20s the consumer's allowance to the EscrowManager (the same one booking uses),
/// for the native currency a renewal balance the consumer deposits here and may withdraw at any
/// time. Nothing else is ever taken from the consumer.
/// @dev The rules of a renewal (`renew`):
/// - Window: a booking renews only once its end is at most `min(renewalWindow, hoursPerRenewal
///   hours)` away, or during its grace (see EscrowManager `gracePeriod`), where the renewal resumes
///   it billed from that moment. After a renewal the end is further away than that, so a booking
///   renews at most once per window, however often and by whomever `renew` is called.
/// - Price: the resource's USD price per hour now must not exceed the policy's maximum; the token
///   amount is the oracle's quote now, exactly as `extendBooking` charges.
/// - Budget: the renewal's amount plus the tip must fit in what is left of the policy's budget,
///   which shrinks by both. A budget never refills by itself: the consumer sets a new policy.
/// - Tip: `renewalTipBps` of the renewal's amount, in the booking's token, from the consumer's
///   funds to the caller: native currency from the consumer's renewal balance to the caller's
///   (withdrawable like any renewal balance, never pushed), an ERC-20 transferred from the consumer
///   to the caller by this contract, which needs the consumer's allowance for the tip (none while
///   the tip is 0, the default).
/// - Terms: the booking keeps its SLA terms, period alignment and protocol fee; the extension
///   rules of the marketplace apply (resource listed, hours within its maximum, bond coverage,
///   not paused).
/// A renewal that is ruled out never reverts: `renew` emits `RenewalSkipped` with the reason and
/// returns false, so that no one can make a renewal fail for others by calling it first.
interface IBookingRenewals {
    /// @notice A booking's renewal policy.
    /// @param hoursPerRenewal Hours each renewal adds (at most the resource's `maxHours`).
    /// @param maxPricePerHourUsdE8 Highest resource price per hour (USD, 8 decimals) to renew at.
    /// @param token The booking's payment token (`address(0)`: native currency).
    /// @param budget What renewals may still spend, in the token's units, tips included.
    struct RenewalPolicy {
        uint16 hoursPerRenewal;
        uint64 maxPricePerHourUsdE8;
        address token;
        uint128 budget;
    }

    /// @notice Why `renew` did not renew a booking.
    /// @dev NoPolicy: the booking has no policy. NotInWindow: its end is not yet within the
    /// renewal window, or its grace is over. BookingNotRenewable: it is not running, or the
    /// marketplace refused the extension (resource not listed, hours above its maximum, bond
    /// coverage, paused, token not priceable). PriceAboveMaximum: the resource's price is above the
    /// policy's maximum. BudgetExhausted: amount plus tip exceed the budget left.
    /// InsufficientAllowance: the consumer's allowance to the EscrowManager (for the amount) or to
    /// this contract (for the tip) is too low.
    /// InsufficientBalance: the consumer's token balance (ERC-20) or renewal balance (native
    /// currency) is too low.
    enum RenewalSkipReason {
        NoPolicy,
        NotInWindow,
        BookingNotRenewable,
        PriceAboveMaximum,
        BudgetExhausted,
        InsufficientAllowance,
        InsufficientBalance
    }

    /// @notice Emitted when a consumer sets (or replaces) a booking's renewal policy.
    event RenewalPolicySet(
        uint256 indexed bookingId,
        address indexed consumer,
        uint16 hoursPerRenewal,
        uint64 maxPricePerHourUsdE8,
        address token,
        uint128 budget
    );
    /// @notice Emitted when a consumer cancels a booking's renewal policy.
    event RenewalPolicyCancelled(uint256 indexed bookingId, address indexed consumer);
    /// @notice Emitted when a booking was renewed; the marketplace's BookingExtended (and, from
    /// grace, the EscrowManager's StreamResumed) are in the same transaction.
    /// @param amount Paid for the hours, in the booking's token.
    /// @param tip Paid to the caller, in the booking's token.
    /// @param budgetLeft What the policy may still spend.
    /// @param endsAt When the booking now ends.
    event BookingRenewed(
        uint256 indexed bookingId,
        address indexed consumer,
        address indexed caller,
        uint16 hoursRenewed,
        uint256 amount,
        uint256 tip,
        uint128 budgetLeft,
        uint40 endsAt
    );
    /// @notice Emitted when `renew` did not renew a booking, and why.
    event RenewalSkipped(uint256 indexed bookingId, address indexed caller, RenewalSkipReason reason);
    /// @notice Emitted when an account adds native currency to its renewal balance.
    event RenewalBalanceDeposited(address indexed account, uint256 amount);
    /// @notice Emitted when an account takes native currency from its renewal balance.
    event RenewalBalanceWithdrawn(address indexed account, uint256 amount);
    /// @notice Emitted when the renewal window or tip changes.
    event RenewalSettingsUpdated(uint32 windowSeconds, uint16 tipBps);

    /// @notice Only the booking's consumer may do this.
    error RenewalsUnauthorized(uint256 bookingId, address caller);
    /// @notice The booking is finished (or does not exist): it cannot have a policy.
    error RenewalsBookingFinished(uint256 bookingId);
    /// @notice A policy with no hours or no price limit.
    error RenewalsInvalidPolicy();
    /// @notice The booking has no renewal policy.
    error RenewalsNoPolicy(uint256 bookingId);
    /// @notice A window outside 1 minute – 7 days, or a tip above `MAX_TIP_BPS`.
    error RenewalsInvalidSettings(uint32 windowSeconds, uint16 tipBps);
    /// @notice A deposit or withdrawal of nothing.
    error RenewalsZeroAmount();
    /// @notice The renewal balance holds less than requested.
    error RenewalsInsufficientBalance(address account, uint256 available, uint256 requested);

    /// @notice Sets the renewal policy of the caller's requested or running booking, replacing an
    /// earlier one. The token is the booking's own.
    /// @param budget The most all renewals under this policy may spend, tips included.
    function setRenewalPolicy(
        uint256 bookingId,
        uint16 hoursPerRenewal,
        uint64 maxPricePerHourUsdE8,
        uint128 budget
    ) external;

    /// @notice Cancels the caller's renewal policy of a booking.
    function cancelRenewalPolicy(uint256 bookingId) external;

    /// @notice Renews a booking by its policy if the rules allow it now (see the contract's notes);
    /// otherwise emits RenewalSkipped and returns false. Anyone may call.
    function renew(uint256 bookingId) external returns (bool renewed);

    /// @notice Adds the native currency sent to the caller's renewal balance.
    function depositRenewalBalance() external payable;

    /// @notice Sends `amount` of the caller's renewal balance back to the caller.
    function withdrawRenewalBalance(uint256 amount) external;

    /// @notice Sets the renewal window and the caller's tip. DAO only.
    function setRenewalSettings(uint32 windowSeconds, uint16 tipBps) external;

    /// @notice A booking's renewal policy (all zero: none).
    function renewalPolicy(uint256 bookingId) external view returns (RenewalPolicy memory);

    /// @notice The native currency `account` holds for renewals.
    function renewalBalance(address account) external view returns (uint256);

    /// @notice How long before a booking's end a renewal may happen, in seconds (at most
    /// `hoursPerRenewal` hours of the booking's policy).
    function renewalWindow() external view returns (uint32);

    /// @notice The caller's tip, in basis points of a renewal's amount.
    function renewalTipBps() external view returns (uint16);
}
