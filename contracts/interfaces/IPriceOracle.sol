// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPriceOracle
/// @notice Registry of the payment tokens D-CloudX accepts, each priced in USD by a Chainlink
/// `AggregatorV3Interface` feed, and conversion between USD amounts (8 decimals) and token amounts.
/// @dev The native currency is `address(0)` and always has token id 0; ERC-20s get ids 1..63 in the
/// order they are first added. Ids are never reused, so resources can store accepted tokens as a
/// 64-bit mask and bookings can store a token in one byte.
/// Trust: a Chainlink feed is trusted within its own circuit breaker. OCR aggregators clamp their
/// answer to `[minAnswer, maxAnswer]`, so an answer at either bound may be far from the market and
/// is refused. A token without a Chainlink feed (DCX) is priced by a GovernedPriceFeed that the DAO
/// sets: that price is only as right as the DAO keeps it, within the heartbeat it configures.
interface IPriceOracle {
    /// @notice A payment token and its price feed. Packed into one storage slot.
    /// @param feed Chainlink feed giving the USD price of one whole token.
    /// @param heartbeatSeconds Longest time the feed may go without an update before it is stale.
    /// @param feedDecimals Decimals of the feed's answers.
    /// @param tokenDecimals Decimals of the token (18 for the native currency).
    /// @param id Stable id of the token (bit index in accepted-token masks).
    /// @param enabled Whether new payments in this token are accepted.
    /// @param bounded Whether the feed's aggregator clamps its answers to bounds that a price could
    /// reach (see `priceBounds`); feeds without such bounds cost no extra storage read per price.
    struct PaymentToken {
        address feed;
        uint32 heartbeatSeconds;
        uint8 feedDecimals;
        uint8 tokenDecimals;
        uint8 id;
        bool enabled;
        bool bounded;
    }

    /// @notice A checked price of one whole token in USD, with the decimals to convert by (see PriceMath).
    /// @param answer Feed answer, with `feedDecimals` decimals; always positive.
    struct UsdPrice {
        uint256 answer;
        uint8 feedDecimals;
        uint8 tokenDecimals;
    }

    /// @notice The answers a feed's aggregator clamps to; an answer at or beyond either is refused.
    struct PriceBounds {
        int128 minAnswer;
        int128 maxAnswer;
    }

    /// @notice Emitted when a payment token is added or its feed changes.
    event PaymentTokenConfigured(
        address indexed token,
        uint8 indexed tokenId,
        address feed,
        uint32 heartbeatSeconds,
        uint8 feedDecimals,
        uint8 tokenDecimals
    );
    /// @notice Emitted with PaymentTokenConfigured: the token's ERC-20 `symbol()` and `name()`, so
    /// that clients can show a token governance adds without a list of their own. Empty for the
    /// native currency and where the token has none that reads as a short string.
    event PaymentTokenDescribed(address indexed token, string symbol, string name);
    /// @notice Emitted when a payment token stops being accepted for new payments.
    event PaymentTokenDisabled(address indexed token, uint8 indexed tokenId);
    /// @notice Emitted when a feed's aggregator bounds are read (at configuration, or refreshed by anyone).
    event PriceBoundsUpdated(address indexed token, bool bounded, int256 minAnswer, int256 maxAnswer);
    /// @notice Emitted when the L2 sequencer uptime feed is set (zero address: none).
    event SequencerUptimeFeedUpdated(address feed, uint32 gracePeriodSeconds);

    /// @notice The token has no enabled price feed.
    error PriceOracleUnsupportedToken(address token);
    /// @notice The feed address is not a contract or its decimals cannot be read.
    error PriceOracleInvalidFeed(address feed);
    /// @notice A heartbeat or grace period of zero.
    error PriceOracleInvalidHeartbeat(uint256 heartbeatSeconds);
    /// @notice The token's decimals cannot be read or exceed 36.
    error PriceOracleInvalidToken(address token);
    /// @notice No token has this id.
    error PriceOracleUnknownTokenId(uint8 tokenId);
    /// @notice All 64 token ids are in use.
    error PriceOracleTooManyTokens();
    /// @notice The feed answered zero or a negative price.
    error PriceOracleInvalidAnswer(address token, int256 answer);
    /// @notice The latest answer is older than the feed's heartbeat.
    error PriceOracleStalePrice(address token, uint256 updatedAt, uint256 heartbeatSeconds);
    /// @notice The answer is at or beyond a bound its aggregator clamps to, so it may not be the market price.
    error PriceOracleAnswerOutOfBounds(address token, int256 answer, int256 minAnswer, int256 maxAnswer);
    /// @notice The feed reports an update time in the future.
    error PriceOracleFutureTimestamp(address token, uint256 updatedAt);
    /// @notice The feed's latest round has not finished.
    error PriceOracleRoundIncomplete(address token, uint80 roundId);
    /// @notice The L2 sequencer is down, or its uptime feed is not initialized.
    error PriceOracleSequencerDown();
    /// @notice The L2 sequencer restarted less than the grace period ago.
    error PriceOracleSequencerGracePeriod(uint256 restartedAt, uint256 gracePeriodSeconds);

    /// @notice Adds a payment token or replaces its feed, and enables it.
    /// @param token ERC-20 address, or `address(0)` for the native currency.
    /// @param feed Chainlink feed of the token's USD price.
    /// @param heartbeatSeconds Staleness limit for the feed.
    /// @return tokenId The token's stable id.
    function setPaymentToken(address token, address feed, uint32 heartbeatSeconds) external returns (uint8 tokenId);

    /// @notice Stops accepting `token` for new payments. Existing bookings are unaffected.
    function disablePaymentToken(address token) external;

    /// @notice Reads again the bounds of `token`'s feed aggregator (Chainlink may move a feed to a
    /// new aggregator). Anyone may call: it only copies what the configured feed says.
    function refreshPriceBounds(address token) external;

    /// @notice Sets the Chainlink L2 sequencer uptime feed checked before every conversion
    /// (`address(0)` disables the check, e.g. on L1 or local chains).
    function setSequencerUptimeFeed(address feed, uint32 gracePeriodSeconds) external;

    /// @notice Token amount to pay for `usdE8` at the current price, rounded up.
    /// @return amount Amount in the token's smallest unit.
    /// @return tokenId The token's id.
    function quote(address token, uint256 usdE8) external view returns (uint256 amount, uint8 tokenId);

    /// @notice The checked latest price of one whole `token` in USD, for callers that convert many
    /// amounts of one token (with PriceMath).
    function usdPrice(address token) external view returns (UsdPrice memory);

    /// @notice USD value (8 decimals) of `amount` of `token` at the current price, rounded down.
    function toUsd(address token, uint256 amount) external view returns (uint256 usdE8);

    /// @notice Mask of the ids of `tokens`; reverts if any is not an enabled payment token.
    function tokenMask(address[] calldata tokens) external view returns (uint64 mask);

    /// @notice The aggregator bounds of `token`'s feed, as last read (zero if it has none).
    function priceBounds(address token) external view returns (PriceBounds memory);

    /// @notice The configuration of `token` (all zero if it was never added).
    function paymentToken(address token) external view returns (PaymentToken memory);

    /// @notice Address of the token with id `tokenId` (`address(0)` for id 0, the native currency).
    function tokenAddress(uint8 tokenId) external view returns (address);

    /// @notice Every token ever added, enabled or not, indexed by id (id 0 is the native currency).
    function paymentTokens() external view returns (address[] memory);
}
