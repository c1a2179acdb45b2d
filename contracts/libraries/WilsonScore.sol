// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title WilsonScore
/// @notice Lower bound of the Wilson score interval at 95 % confidence: a success rate that accounts
/// for how much evidence there is, so 1 good outcome out of 1 scores far below 500 out of 500.
library WilsonScore {
    uint256 private constant WAD = 1e18;
    /// @dev z = 1.96 (95 % two-sided) and z², in WAD.
    uint256 private constant Z = 1.96e18;
    uint256 private constant Z2 = 3.8416e18;

    /// @notice Lower confidence bound of `successes / trials`, in basis points.
    /// @dev Both counts share a `scale` (e.g. 4 when a trial can be a quarter success), so
    /// fractional outcomes can be expressed in integers. Uses the closed form
    /// (s + z²/2 − z·√(s(n−s)/n + z²/4)) / (n + z²).
    function lowerBoundBps(uint256 successes, uint256 trials, uint256 scale) internal pure returns (uint256) {
        if (trials == 0) return 0;
        uint256 s = (successes * WAD) / scale;
        uint256 n = (trials * WAD) / scale;
        uint256 spread = Math.mulDiv(s, n - s, n) + Z2 / 4;
        uint256 margin = (Z * Math.sqrt(spread * WAD)) / WAD;
        uint256 centre = s + Z2 / 2;
        if (margin >= centre) return 0;
        return ((centre - margin) * 10_000) / (n + Z2);
    }
}
