// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DAOGovernance} from "../../governance/DAOGovernance.sol";

/// @title DAOGovernanceV2
/// @notice Test-only upgrade target: DAOGovernance plus a getter of the implementation's version, used
/// to show that an upgrade through a passed proposal keeps the governor's state and exposes the new
/// code.
/// @dev The governor's own `version()` is its EIP-712 domain version ("1"), which V2 must not change,
/// hence the separate name. The proxy is already initialized and V2 adds no state, so it has no
/// initializer of its own.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/governance/DAOGovernance.sol:DAOGovernance
contract DAOGovernanceV2 is DAOGovernance {
    /// @notice Version of the implementation.
    function implementationVersion() external pure returns (uint256) {
        return 2;
    }
}
