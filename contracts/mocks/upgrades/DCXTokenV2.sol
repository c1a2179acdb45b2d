// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DCXToken} from "../../token/DCXToken.sol";

/// @title DCXTokenV2
/// @notice Test-only upgrade target: DCXToken plus a version getter, used to show that an upgrade keeps
/// the proxy's state (OpenZeppelin's ERC-20, cap, votes and nonces namespaces) and exposes the new code.
/// @dev The proxy is already initialized and V2 adds no state, so it has no initializer of its own.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/token/DCXToken.sol:DCXToken
contract DCXTokenV2 is DCXToken {
    /// @notice Version of the implementation.
    function version() external pure returns (uint256) {
        return 2;
    }
}
