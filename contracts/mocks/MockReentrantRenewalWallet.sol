// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBookingRenewals} from "../interfaces/IBookingRenewals.sol";

/// @title MockReentrantRenewalWallet
/// @notice Test-only account that, when BookingRenewals pays out its renewal balance, withdraws
/// again from inside that transfer.
contract MockReentrantRenewalWallet {
    IBookingRenewals private immutable RENEWALS;
    bool private reenter;

    constructor(IBookingRenewals renewals) {
        RENEWALS = renewals;
    }

    /// @notice Adds the value sent to this account's renewal balance.
    function deposit() external payable {
        RENEWALS.depositRenewalBalance{value: msg.value}();
    }

    /// @notice Withdraws `amount`, and (if `again`) the same once more on receiving it.
    function withdraw(uint256 amount, bool again) external {
        reenter = again;
        RENEWALS.withdrawRenewalBalance(amount);
    }

    // The point of this mock is a receive that calls back.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (!reenter) return;
        reenter = false;
        RENEWALS.withdrawRenewalBalance(msg.value);
    }
}
