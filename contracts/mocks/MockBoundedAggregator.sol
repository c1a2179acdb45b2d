// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";

/// @title MockBoundedAggregator
/// @notice Test-only Chainlink feed shaped like a proxy over an OCR aggregator: `aggregator()` points
/// to itself, which reports the circuit-breaker bounds its answers are clamped to.
contract MockBoundedAggregator is MockV3Aggregator {
    int192 public minAnswer;
    int192 public maxAnswer;

    constructor(
        uint8 decimals_,
        int256 initialAnswer,
        int192 min,
        int192 max
    ) MockV3Aggregator(decimals_, initialAnswer) {
        minAnswer = min;
        maxAnswer = max;
    }

    /// @notice The aggregator behind this "proxy": itself.
    function aggregator() external view returns (address) {
        return address(this);
    }

    /// @notice Moves the bounds, as a new aggregator behind the proxy would.
    function setBounds(int192 min, int192 max) external {
        minAnswer = min;
        maxAnswer = max;
    }
}
