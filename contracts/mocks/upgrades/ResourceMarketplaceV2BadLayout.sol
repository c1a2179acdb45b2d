// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ManagedUpgradeable} from "../../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../interfaces/IResourceMarketplace.sol";

/// @title ResourceMarketplaceV2BadLayout
/// @notice Test-only upgrade target that the upgrade checks must reject: ResourceMarketplace's
/// namespace with `bookingCount` widened from uint56 to uint64, which would move the fields packed
/// after it.
/// @dev Without an initializer of its own, the storage layout is the only thing the checks object to.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
/// @custom:oz-upgrades-from contracts/core/ResourceMarketplace.sol:ResourceMarketplace
contract ResourceMarketplaceV2BadLayout is ManagedUpgradeable {
    /// @custom:storage-location erc7201:dcloudx.storage.Marketplace
    struct MarketplaceStorage {
        IEscrowManager escrow;
        uint64 bookingCount;
        uint32 provisionTimeoutSeconds;
        bool paused;
        IPriceOracle priceOracle;
        uint32 resourceCount;
        IReputationSystem reputation;
        mapping(address provider => uint40) providerRegisteredAt;
        mapping(uint256 resourceId => IResourceMarketplace.Resource) resources;
        mapping(uint256 bookingId => IResourceMarketplace.Booking) bookings;
    }
}
