// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {stdError} from "forge-std/StdError.sol";

import {PriceMath} from "../../contracts/libraries/PriceMath.sol";

/// @dev Internal library calls are inlined; going through a contract lets a test expect a revert.
contract PriceMathHarness {
    function usdToToken(
        uint256 usdE8,
        uint256 price,
        uint8 feedDecimals,
        uint8 tokenDecimals
    ) external pure returns (uint256) {
        return PriceMath.usdToToken(usdE8, price, feedDecimals, tokenDecimals);
    }
}

contract PriceMathTest is Test {
    /// @dev A trillion dollars: far above any booking, small enough that no product overflows.
    uint256 private constant MAX_USD_E8 = 1e12 * 1e8;
    /// @dev A million dollars per whole token, in whole dollars.
    uint256 private constant MAX_PRICE_USD = 1e6;

    PriceMathHarness private harness;

    function setUp() public {
        harness = new PriceMathHarness();
    }

    /// @dev The decimals that matter in practice: USDC, Chainlink's USD feeds, ETH and DAI.
    function _decimals(uint256 seed) private pure returns (uint8) {
        uint8[3] memory options = [6, 8, 18];
        return options[seed % 3];
    }

    /// @dev Any price from one unit of the feed's last decimal up to MAX_PRICE_USD.
    function _price(uint256 seed, uint8 feedDecimals) private pure returns (uint256) {
        return bound(seed, 1, MAX_PRICE_USD * 10 ** feedDecimals);
    }

    function test_usdToToken_knownValues() public pure {
        // $3 at ETH = $3000 (8-decimal feed): 0.001 ETH.
        assertEq(PriceMath.usdToToken(3e8, 3_000e8, 8, 18), 1e15);
        // $3 in USDC and DAI at $1.
        assertEq(PriceMath.usdToToken(3e8, 1e8, 8, 6), 3e6);
        assertEq(PriceMath.usdToToken(3e8, 1e8, 8, 18), 3e18);
        // One hundred-millionth of a dollar is 3,333,333.33 wei at $3000: the payer pays the next wei.
        assertEq(PriceMath.usdToToken(1, 3_000e8, 8, 18), 3_333_334);
        // Half a cent in USDC is 5,000 units: no rounding when exact.
        assertEq(PriceMath.usdToToken(500_000, 1e8, 8, 6), 5_000);
        // $0.000001 in USDC is a whole unit when rounded up.
        assertEq(PriceMath.usdToToken(1, 1e8, 8, 6), 1);
    }

    function test_tokenToUsd_knownValues() public pure {
        assertEq(PriceMath.tokenToUsd(1e18, 3_000e8, 8, 18), 3_000e8);
        assertEq(PriceMath.tokenToUsd(1e6, 1e8, 8, 6), 1e8);
        // 3,333,333 wei is just under one hundred-millionth of a dollar at $3000: rounds down to 0.
        assertEq(PriceMath.tokenToUsd(3_333_333, 3_000e8, 8, 18), 0);
        assertEq(PriceMath.tokenToUsd(3_333_334, 3_000e8, 8, 18), 1);
        // An 18-decimal feed gives the same value as an 8-decimal one at the same price.
        assertEq(PriceMath.tokenToUsd(1e18, 3_000e18, 18, 18), 3_000e8);
    }

    /// @dev Rounded down where the protocol pays out (reward caps, cross-token slashes): never more
    /// than the value; rounded up where it charges; the two differ by at most one unit.
    function testFuzz_usdToTokenFloor_neverExceedsTheValue(
        uint256 usdE8,
        uint256 priceSeed,
        uint256 feedSeed,
        uint256 tokenSeed
    ) public pure {
        usdE8 = bound(usdE8, 0, MAX_USD_E8);
        uint8 feedDecimals = _decimals(feedSeed);
        uint8 tokenDecimals = _decimals(tokenSeed);
        uint256 price = _price(priceSeed, feedDecimals);
        uint256 floor = PriceMath.usdToTokenFloor(usdE8, price, feedDecimals, tokenDecimals);
        uint256 ceil = PriceMath.usdToToken(usdE8, price, feedDecimals, tokenDecimals);
        assertLe(PriceMath.tokenToUsd(floor, price, feedDecimals, tokenDecimals), usdE8);
        assertLe(floor, ceil);
        assertLe(ceil - floor, 1);
    }

    function test_usdToTokenFloor_knownValues() public pure {
        // One hundred-millionth of a dollar is 3,333,333.33 wei at $3000: the payee gets 3,333,333.
        assertEq(PriceMath.usdToTokenFloor(1, 3_000e8, 8, 18), 3_333_333);
        // $0.000001 in USDC is a whole unit only when rounded up.
        assertEq(PriceMath.usdToTokenFloor(1, 1e8, 8, 6), 0);
        // $0.50 of DCX at $0.50 is exactly one DCX.
        assertEq(PriceMath.usdToTokenFloor(0.5e8, 0.5e8, 8, 18), 1e18);
    }

    function test_usdToToken_revertsOnZeroPrice() public {
        vm.expectRevert(stdError.divisionError);
        harness.usdToToken(1e8, 0, 8, 18);
    }

    /// @dev The payer never pays less than the price, for 6-, 8- and 18-decimal tokens and feeds.
    function testFuzz_usdToToken_coversPrice(
        uint256 usdE8,
        uint256 priceSeed,
        uint256 feedSeed,
        uint256 tokenSeed
    ) public pure {
        usdE8 = bound(usdE8, 0, MAX_USD_E8);
        uint8 feedDecimals = _decimals(feedSeed);
        uint8 tokenDecimals = _decimals(tokenSeed);
        uint256 price = _price(priceSeed, feedDecimals);

        uint256 amount = PriceMath.usdToToken(usdE8, price, feedDecimals, tokenDecimals);
        assertGe(PriceMath.tokenToUsd(amount, price, feedDecimals, tokenDecimals), usdE8);
    }

    /// @dev Rounding up takes at most one extra unit: one unit less would not cover the price.
    function testFuzz_usdToToken_isTheSmallestAmountThatCovers(
        uint256 usdE8,
        uint256 priceSeed,
        uint256 feedSeed,
        uint256 tokenSeed
    ) public pure {
        usdE8 = bound(usdE8, 1, MAX_USD_E8);
        uint8 feedDecimals = _decimals(feedSeed);
        uint8 tokenDecimals = _decimals(tokenSeed);
        uint256 price = _price(priceSeed, feedDecimals);

        uint256 amount = PriceMath.usdToToken(usdE8, price, feedDecimals, tokenDecimals);
        assertGt(amount, 0);
        assertLt(PriceMath.tokenToUsd(amount - 1, price, feedDecimals, tokenDecimals), usdE8);
    }

    /// @dev Converting a token amount to USD and back never yields more tokens than there were.
    function testFuzz_tokenToUsd_roundsDown(
        uint256 amount,
        uint256 priceSeed,
        uint256 feedSeed,
        uint256 tokenSeed
    ) public pure {
        uint8 feedDecimals = _decimals(feedSeed);
        uint8 tokenDecimals = _decimals(tokenSeed);
        uint256 price = _price(priceSeed, feedDecimals);
        // At most MAX_USD_E8 worth of tokens, so the USD value stays in the range of the other tests.
        amount = bound(amount, 0, PriceMath.usdToToken(MAX_USD_E8, price, feedDecimals, tokenDecimals));

        uint256 usdE8 = PriceMath.tokenToUsd(amount, price, feedDecimals, tokenDecimals);
        assertLe(PriceMath.usdToToken(usdE8, price, feedDecimals, tokenDecimals), amount);
    }

    /// @dev A dearer booking never costs fewer tokens; a dearer token never takes more of them.
    function testFuzz_usdToToken_monotonic(
        uint256 usdA,
        uint256 usdB,
        uint256 priceA,
        uint256 priceB,
        uint256 feedSeed,
        uint256 tokenSeed
    ) public pure {
        uint8 feedDecimals = _decimals(feedSeed);
        uint8 tokenDecimals = _decimals(tokenSeed);
        usdA = bound(usdA, 0, MAX_USD_E8);
        usdB = bound(usdB, usdA, MAX_USD_E8);
        priceA = _price(priceA, feedDecimals);
        priceB = bound(priceB, priceA, MAX_PRICE_USD * 10 ** feedDecimals);

        assertLe(
            PriceMath.usdToToken(usdA, priceA, feedDecimals, tokenDecimals),
            PriceMath.usdToToken(usdB, priceA, feedDecimals, tokenDecimals)
        );
        assertGe(
            PriceMath.usdToToken(usdA, priceA, feedDecimals, tokenDecimals),
            PriceMath.usdToToken(usdA, priceB, feedDecimals, tokenDecimals)
        );
    }

    /// @dev The same price quoted by an 8- or an 18-decimal feed gives exactly the same amount.
    function testFuzz_usdToToken_independentOfFeedDecimals(
        uint256 usdE8,
        uint256 priceE8,
        uint256 tokenSeed
    ) public pure {
        usdE8 = bound(usdE8, 0, MAX_USD_E8);
        priceE8 = _price(priceE8, 8);
        uint8 tokenDecimals = _decimals(tokenSeed);

        assertEq(
            PriceMath.usdToToken(usdE8, priceE8, 8, tokenDecimals),
            PriceMath.usdToToken(usdE8, priceE8 * 1e10, 18, tokenDecimals)
        );
    }

    /// @dev An 18-decimal token rounds up by less than a 6-decimal token: never more than the 6-decimal
    /// amount scaled up, and less than one 6-decimal unit below it.
    function testFuzz_usdToToken_finerDecimalsRoundLess(
        uint256 usdE8,
        uint256 priceSeed,
        uint256 feedSeed
    ) public pure {
        usdE8 = bound(usdE8, 0, MAX_USD_E8);
        uint8 feedDecimals = _decimals(feedSeed);
        uint256 price = _price(priceSeed, feedDecimals);

        uint256 fine = PriceMath.usdToToken(usdE8, price, feedDecimals, 18);
        uint256 coarse = PriceMath.usdToToken(usdE8, price, feedDecimals, 6);
        assertLe(fine, coarse * 1e12);
        if (coarse != 0) assertGt(fine, (coarse - 1) * 1e12);
    }
}
