// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {PriceMath} from "../libraries/PriceMath.sol";

/// @dev A Chainlink proxy's current aggregator, and an OCR aggregator's circuit-breaker bounds.
interface IChainlinkAggregatorProxy {
    function aggregator() external view returns (address);
}

interface IChainlinkAnswerBounds {
    function minAnswer() external view returns (int192);
    function maxAnswer() external view returns (int192);
}

/// @title PriceOracle
/// @notice Chainlink-priced payment tokens for D-CloudX. Every conversion checks that the answer is
/// positive, inside its aggregator's bounds, from a finished round, fresher than the feed's
/// heartbeat and, on L2s, that the sequencer is up.
contract PriceOracle is IPriceOracle, ManagedUpgradeable {
    /// @dev Accepted-token masks are 64 bits wide.
    uint256 private constant MAX_TOKENS = 64;
    uint8 private constant NATIVE_DECIMALS = 18;
    uint8 private constant MAX_DECIMALS = 36;
    /// @dev Longest token symbol or name read, in bytes, and the gas a token gets to answer.
    uint256 private constant MAX_TEXT_BYTES = 64;
    uint256 private constant TEXT_CALL_GAS = 50_000;

    /// @custom:storage-location erc7201:dcloudx.storage.PriceOracle
    struct PriceOracleStorage {
        mapping(address token => PaymentToken) tokens;
        /// @dev Index = token id; index 0 is the native currency.
        address[] tokenList;
        AggregatorV3Interface sequencerUptimeFeed;
        uint32 sequencerGracePeriodSeconds;
        mapping(address token => PriceBounds) bounds;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.PriceOracle")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xe7db32a60228ff9110b92fe0be58769241ce35233db297fa667f25348798be00;

    function _getPriceOracleStorage() private pure returns (PriceOracleStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    function initialize(address admin) external initializer {
        __Managed_init(admin);
        _getPriceOracleStorage().tokenList.push(address(0));
    }

    /// @inheritdoc IPriceOracle
    function setPaymentToken(
        address token,
        address feed,
        uint32 heartbeatSeconds
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint8 tokenId) {
        if (heartbeatSeconds == 0) revert PriceOracleInvalidHeartbeat(heartbeatSeconds);
        uint8 feedDecimals = _feedDecimals(feed);
        PriceOracleStorage storage $ = _getPriceOracleStorage();
        PaymentToken storage config = $.tokens[token];

        if (token == address(0)) {
            tokenId = 0;
        } else if (config.feed != address(0)) {
            tokenId = config.id;
        } else {
            if ($.tokenList.length == MAX_TOKENS) revert PriceOracleTooManyTokens();
            tokenId = uint8($.tokenList.length);
            $.tokenList.push(token);
        }
        uint8 tokenDecimals = token == address(0) ? NATIVE_DECIMALS : _tokenDecimals(token);

        $.tokens[token] = PaymentToken({
            feed: feed,
            heartbeatSeconds: heartbeatSeconds,
            feedDecimals: feedDecimals,
            tokenDecimals: tokenDecimals,
            id: tokenId,
            enabled: true,
            bounded: false
        });
        emit PaymentTokenConfigured(token, tokenId, feed, heartbeatSeconds, feedDecimals, tokenDecimals);
        if (token != address(0)) {
            emit PaymentTokenDescribed(
                token,
                _tokenText(token, IERC20Metadata.symbol.selector),
                _tokenText(token, IERC20Metadata.name.selector)
            );
        }
        _readBounds($, token, feed);
    }

    /// @inheritdoc IPriceOracle
    function refreshPriceBounds(address token) external {
        PriceOracleStorage storage $ = _getPriceOracleStorage();
        address feed = $.tokens[token].feed;
        if (feed == address(0)) revert PriceOracleUnsupportedToken(token);
        _readBounds($, token, feed);
    }

    /// @inheritdoc IPriceOracle
    function disablePaymentToken(address token) external onlyRole(DEFAULT_ADMIN_ROLE) {
        PaymentToken storage config = _getPriceOracleStorage().tokens[token];
        if (!config.enabled) revert PriceOracleUnsupportedToken(token);
        config.enabled = false;
        emit PaymentTokenDisabled(token, config.id);
    }

    /// @inheritdoc IPriceOracle
    function setSequencerUptimeFeed(address feed, uint32 gracePeriodSeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feed != address(0)) {
            _feedDecimals(feed);
            if (gracePeriodSeconds == 0) revert PriceOracleInvalidHeartbeat(gracePeriodSeconds);
        }
        PriceOracleStorage storage $ = _getPriceOracleStorage();
        $.sequencerUptimeFeed = AggregatorV3Interface(feed);
        $.sequencerGracePeriodSeconds = gracePeriodSeconds;
        emit SequencerUptimeFeedUpdated(feed, gracePeriodSeconds);
    }

    /// @inheritdoc IPriceOracle
    function quote(address token, uint256 usdE8) external view returns (uint256 amount, uint8 tokenId) {
        PaymentToken memory config = _enabledToken(token);
        uint256 price = _price(token, config);
        return (PriceMath.usdToToken(usdE8, price, config.feedDecimals, config.tokenDecimals), config.id);
    }

    /// @inheritdoc IPriceOracle
    function usdPrice(address token) external view returns (UsdPrice memory) {
        PaymentToken memory config = _getPriceOracleStorage().tokens[token];
        if (config.feed == address(0)) revert PriceOracleUnsupportedToken(token);
        return UsdPrice(_price(token, config), config.feedDecimals, config.tokenDecimals);
    }

    /// @inheritdoc IPriceOracle
    function toUsd(address token, uint256 amount) external view returns (uint256 usdE8) {
        PaymentToken memory config = _getPriceOracleStorage().tokens[token];
        if (config.feed == address(0)) revert PriceOracleUnsupportedToken(token);
        return PriceMath.tokenToUsd(amount, _price(token, config), config.feedDecimals, config.tokenDecimals);
    }

    /// @inheritdoc IPriceOracle
    function tokenMask(address[] calldata tokens) external view returns (uint64 mask) {
        for (uint256 i = 0; i < tokens.length; ++i) {
            mask |= uint64(1) << _enabledToken(tokens[i]).id;
        }
    }

    /// @inheritdoc IPriceOracle
    function priceBounds(address token) external view returns (PriceBounds memory) {
        return _getPriceOracleStorage().bounds[token];
    }

    /// @inheritdoc IPriceOracle
    function paymentToken(address token) external view returns (PaymentToken memory) {
        return _getPriceOracleStorage().tokens[token];
    }

    /// @inheritdoc IPriceOracle
    function tokenAddress(uint8 tokenId) external view returns (address) {
        address[] storage list = _getPriceOracleStorage().tokenList;
        if (tokenId >= list.length) revert PriceOracleUnknownTokenId(tokenId);
        return list[tokenId];
    }

    /// @inheritdoc IPriceOracle
    function paymentTokens() external view returns (address[] memory) {
        return _getPriceOracleStorage().tokenList;
    }

    function _enabledToken(address token) private view returns (PaymentToken memory config) {
        config = _getPriceOracleStorage().tokens[token];
        if (!config.enabled) revert PriceOracleUnsupportedToken(token);
    }

    /// @dev Latest feed answer after every safety check.
    function _price(address token, PaymentToken memory config) private view returns (uint256) {
        _checkSequencer();
        (uint80 roundId, int256 answer, , uint256 updatedAt, ) = AggregatorV3Interface(config.feed).latestRoundData();
        if (updatedAt == 0) revert PriceOracleRoundIncomplete(token, roundId);
        if (updatedAt > block.timestamp) revert PriceOracleFutureTimestamp(token, updatedAt);
        if (answer <= 0) revert PriceOracleInvalidAnswer(token, answer);
        if (config.bounded) {
            PriceBounds memory bounds = _getPriceOracleStorage().bounds[token];
            if (answer <= bounds.minAnswer || answer >= bounds.maxAnswer) {
                revert PriceOracleAnswerOutOfBounds(token, answer, bounds.minAnswer, bounds.maxAnswer);
            }
        }
        if (block.timestamp - updatedAt > config.heartbeatSeconds) {
            revert PriceOracleStalePrice(token, updatedAt, config.heartbeatSeconds);
        }
        return uint256(answer);
    }

    function _checkSequencer() private view {
        PriceOracleStorage storage $ = _getPriceOracleStorage();
        AggregatorV3Interface feed = $.sequencerUptimeFeed;
        if (address(feed) == address(0)) return;
        (, int256 status, uint256 startedAt, , ) = feed.latestRoundData();
        // Chainlink's uptime feeds answer 0 while the sequencer is up and 1 while it is down;
        // startedAt is 0 until the feed is initialized.
        if (status != 0 || startedAt == 0) revert PriceOracleSequencerDown();
        if (block.timestamp <= startedAt + $.sequencerGracePeriodSeconds) {
            revert PriceOracleSequencerGracePeriod(startedAt, $.sequencerGracePeriodSeconds);
        }
    }

    /// @dev Copies the bounds of the feed's current aggregator. A feed that is not a Chainlink proxy
    /// over an OCR aggregator (a mock, a GovernedPriceFeed), or whose bounds no real price reaches
    /// (a floor of at most 1, a ceiling beyond int128), is unbounded.
    function _readBounds(PriceOracleStorage storage $, address token, address feed) private {
        (int256 minAnswer, int256 maxAnswer) = (0, type(int128).max);
        try IChainlinkAggregatorProxy(feed).aggregator() returns (address aggregator) {
            if (aggregator.code.length != 0) {
                try IChainlinkAnswerBounds(aggregator).minAnswer() returns (int192 floor) {
                    minAnswer = floor;
                } catch {}
                try IChainlinkAnswerBounds(aggregator).maxAnswer() returns (int192 ceiling) {
                    if (ceiling < maxAnswer) maxAnswer = ceiling;
                } catch {}
            }
        } catch {}
        bool bounded = minAnswer > 1 || maxAnswer < type(int128).max;
        $.tokens[token].bounded = bounded;
        $.bounds[token] =
            bounded
                ? PriceBounds({minAnswer: SafeCast.toInt128(minAnswer), maxAnswer: SafeCast.toInt128(maxAnswer)})
                : PriceBounds(0, 0);
        emit PriceBoundsUpdated(token, bounded, minAnswer, maxAnswer);
    }

    function _feedDecimals(address feed) private view returns (uint8 decimals) {
        bool ok;
        (decimals, ok) = _readDecimals(feed);
        if (!ok) revert PriceOracleInvalidFeed(feed);
    }

    function _tokenDecimals(address token) private view returns (uint8 decimals) {
        bool ok;
        (decimals, ok) = _readDecimals(token);
        if (!ok) revert PriceOracleInvalidToken(token);
    }

    /// @dev An optional ERC-20 string (`symbol()` or `name()`), or "" when the token has none that
    /// decodes as a string of at most MAX_TEXT_BYTES (some old tokens return bytes32). Never reverts.
    function _tokenText(address token, bytes4 selector) private view returns (string memory) {
        (bool ok, bytes memory data) = token.staticcall{gas: TEXT_CALL_GAS}(abi.encodeWithSelector(selector));
        if (!ok || data.length < 64) return "";
        (uint256 offset, uint256 length) = abi.decode(data, (uint256, uint256));
        if (offset != 32 || length > MAX_TEXT_BYTES || data.length < 64 + length) return "";
        return abi.decode(data, (string));
    }

    /// @dev Feeds and ERC-20s share the `decimals()` selector.
    function _readDecimals(address target) private view returns (uint8 decimals, bool ok) {
        if (target.code.length == 0) return (0, false);
        try IERC20Metadata(target).decimals() returns (uint8 value) {
            return (value, value <= MAX_DECIMALS);
        } catch {
            return (0, false);
        }
    }
}
