// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PriceMath
/// @notice Conversions between USD amounts (8 decimals, the Chainlink convention) and token amounts
/// at a feed price, for any token and feed decimals.
library PriceMath {
    /// @notice Decimals of every USD amount in D-CloudX (`...UsdE8`).
    uint8 internal constant USD_DECIMALS = 8;

    /// @notice Token amount worth `usdE8`, rounded up so that the payer never pays less than the price.
    /// @param usdE8 USD amount with 8 decimals.
    /// @param price Feed answer: USD per whole token, with `feedDecimals` decimals. Must be positive.
    function usdToToken(
        uint256 usdE8,
        uint256 price,
        uint8 feedDecimals,
        uint8 tokenDecimals
    ) internal pure returns (uint256) {
        return
            Math.mulDiv(
                usdE8,
                10 ** (uint256(tokenDecimals) + feedDecimals),
                price * 10 ** USD_DECIMALS,
                Math.Rounding.Ceil
            );
    }

    /// @notice Token amount worth at most `usdE8`: `usdToToken` rounded down, for amounts paid out
    /// against a USD limit.
    function usdToTokenFloor(
        uint256 usdE8,
        uint256 price,
        uint8 feedDecimals,
        uint8 tokenDecimals
    ) internal pure returns (uint256) {
        return Math.mulDiv(usdE8, 10 ** (uint256(tokenDecimals) + feedDecimals), price * 10 ** USD_DECIMALS);
    }

    /// @notice USD value (8 decimals) of `amount` token units, rounded down.
    function tokenToUsd(
        uint256 amount,
        uint256 price,
        uint8 feedDecimals,
        uint8 tokenDecimals
    ) internal pure returns (uint256) {
        return Math.mulDiv(amount, price * 10 ** USD_DECIMALS, 10 ** (uint256(tokenDecimals) + feedDecimals));
    }
}
