// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title MockRejectingWallet
/// @notice Test-only smart-contract account that makes calls for its owner but has no way to receive
/// the native currency, like many multisig and account-abstraction wallets without a fallback.
contract MockRejectingWallet {
    address private immutable OWNER = msg.sender;

    error MockRejectingWalletNotOwner(address caller);

    /// @notice Calls `target` with `data` and the value sent, bubbling up any revert.
    function execute(address target, bytes calldata data) external payable returns (bytes memory) {
        if (msg.sender != OWNER) revert MockRejectingWalletNotOwner(msg.sender);
        return Address.functionCallWithValue(target, data, msg.value);
    }
}
