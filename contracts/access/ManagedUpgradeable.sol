// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/// @title ManagedUpgradeable
/// @notice Common base of every D-CloudX contract: an ERC-1967 (UUPS) implementation whose upgrades
/// and parameters are governed through AccessControl roles. The DAO's timelock holds
/// `DEFAULT_ADMIN_ROLE` and `UPGRADER_ROLE` in production.
abstract contract ManagedUpgradeable is AccessControlUpgradeable, UUPSUpgradeable {
    /// @notice Role allowed to upgrade the implementation behind the proxy.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @notice An address that must be set was zero.
    error ManagedZeroAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @dev Grants the admin and upgrader roles; called from each contract's initializer.
    function __Managed_init(address admin) internal onlyInitializing {
        if (admin == address(0)) revert ManagedZeroAddress();
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
