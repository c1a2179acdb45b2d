// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";

/// @title EscrowManagerV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: EscrowManager's namespace
/// with a field inserted before the existing ones, which would shift the settings and every deposit.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/EscrowManager.sol:EscrowManager
contract EscrowManagerV2BadLayout is ManagedUpgradeable, ReentrancyGuardTransient {
    /// @custom:storage-location erc7201:dcloudx.storage.Escrow
    struct EscrowStorage {
        address feeCollector;
        IEscrowManager.Settings settings;
        IPriceOracle priceOracle;
        mapping(uint256 bookingId => IEscrowManager.Deposit) deposits;
        mapping(uint256 bookingId => IEscrowManager.Stream) streams;
        mapping(address account => mapping(address token => uint256)) owed;
        mapping(address provider => mapping(address token => IEscrowManager.Bond)) bonds;
        mapping(uint8 tokenId => address) tokens;
    }
}
