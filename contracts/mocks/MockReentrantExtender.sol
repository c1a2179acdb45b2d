// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";

/// @title MockReentrantExtender
/// @notice Test-only consumer that, when the marketplace returns native currency sent above an
/// extension's price, extends its booking again from inside that transfer.
contract MockReentrantExtender {
    IResourceMarketplace private immutable MARKETPLACE;
    bytes32 private constant ENCRYPTION_KEY = 0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170;
    uint256 private reenterBooking;
    IResourceMarketplace.SlaTerms private sla;

    constructor(IResourceMarketplace marketplace) {
        MARKETPLACE = marketplace;
    }

    /// @notice Books `hoursBooked` of `resourceId` in the native currency.
    function book(
        uint256 resourceId,
        uint16 hoursBooked,
        uint256 maxPayment,
        IResourceMarketplace.SlaTerms calldata minSla
    ) external payable {
        MARKETPLACE.book{value: msg.value}(resourceId, hoursBooked, address(0), maxPayment, minSla, ENCRYPTION_KEY);
    }

    /// @notice Extends `bookingId` by an hour with all the value sent, and once more on the change.
    function extend(
        uint256 bookingId,
        uint256 maxPayment,
        IResourceMarketplace.SlaTerms calldata minSla
    ) external payable {
        reenterBooking = bookingId;
        sla = minSla;
        MARKETPLACE.extendBooking{value: msg.value}(bookingId, 1, address(0), maxPayment, minSla);
    }

    // The point of this mock is a receive that calls back.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        uint256 bookingId = reenterBooking;
        if (bookingId == 0) return;
        reenterBooking = 0;
        MARKETPLACE.extendBooking{value: msg.value}(bookingId, 1, address(0), msg.value, sla);
    }
}
