// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";

/// @title PriceOracleV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: PriceOracle's namespace
/// with `tokenList` turned from an array into a mapping, so the stored array length would be lost.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/oracles/PriceOracle.sol:PriceOracle
contract PriceOracleV2BadLayout is ManagedUpgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.PriceOracle
    struct PriceOracleStorage {
        mapping(address token => IPriceOracle.PaymentToken) tokens;
        mapping(uint256 tokenId => address) tokenList;
        AggregatorV3Interface sequencerUptimeFeed;
        uint32 sequencerGracePeriodSeconds;
    }
}
