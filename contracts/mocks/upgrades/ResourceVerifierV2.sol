// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ResourceVerifier} from "../../core/ResourceVerifier.sol";

/// @title ResourceVerifierV2
/// @notice Test-only upgrade target: ResourceVerifier plus a version getter, used to show that an upgrade
/// keeps the proxy's state (its own namespace and QuorumSigned's) and exposes the new code.
/// @dev The proxy is already initialized and V2 adds no state, so it has no initializer of its own.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/ResourceVerifier.sol:ResourceVerifier
contract ResourceVerifierV2 is ResourceVerifier {
    /// @notice Version of the implementation.
    function version() external pure returns (uint256) {
        return 2;
    }
}
