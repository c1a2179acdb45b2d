// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title GovernedPriceFeed
/// @notice A USD price set by the DAO, in Chainlink's AggregatorV3Interface format, for tokens that
/// have no Chainlink feed (DCX). The PriceOracle applies the same heartbeat and sanity checks to it
/// as to a Chainlink feed, so the DAO must refresh it within the heartbeat it configures.
contract GovernedPriceFeed is AggregatorV3Interface, AccessControl {
    /// @notice Round data, as stored.
    struct Round {
        int192 answer;
        uint64 updatedAt;
    }

    /// @notice Emitted when the DAO sets a new price.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice Prices must be positive.
    error GovernedPriceFeedInvalidAnswer(int256 answer);
    /// @notice No such round.
    error GovernedPriceFeedNoRound(uint80 roundId);

    uint8 private immutable DECIMALS;
    /// @inheritdoc AggregatorV3Interface
    string public override description;
    uint80 private _latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /// @param admin Who may set the price (the DAO timelock in production).
    /// @param initialAnswer First price, with `decimals_` decimals.
    constructor(address admin, uint8 decimals_, string memory description_, int256 initialAnswer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        DECIMALS = decimals_;
        description = description_;
        _setAnswer(initialAnswer);
    }

    /// @notice Sets the price. DAO only.
    function setAnswer(int256 answer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAnswer(answer);
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view override returns (uint8) {
        return DECIMALS;
    }

    /// @notice Interface version (Chainlink convention).
    function version() external pure override returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) public view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory round = _rounds[roundId];
        if (round.updatedAt == 0) revert GovernedPriceFeedNoRound(roundId);
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(_latestRound);
    }

    function _setAnswer(int256 answer) private {
        if (answer <= 0 || answer > type(int192).max) revert GovernedPriceFeedInvalidAnswer(answer);
        uint80 roundId = ++_latestRound;
        _rounds[roundId] = Round({answer: int192(answer), updatedAt: uint64(block.timestamp)});
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }
}
