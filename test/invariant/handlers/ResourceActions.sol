// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {HandlerBase, ResourceGhost} from "./HandlerBase.sol";

/// @title ResourceActions
/// @notice Providers list resources, and pause, resume, delist and re-price them, changing their
/// SLA terms at will: bookings already made must keep theirs (LogObserver checks every booking's
/// terms after every action).
abstract contract ResourceActions is HandlerBase {
    function listResource(
        uint256 providerSeed,
        uint256 priceSeed,
        uint256 capacitySeed,
        uint256 hoursSeed,
        uint256 tokensSeed,
        uint256 slaSeed
    ) external step {
        address provider = providers[providerSeed % ACTORS];
        uint64 price = uint64(_bound(priceSeed, 1e6, 50e8));
        uint16 capacity = uint16(_bound(capacitySeed, 1, 3));
        uint16 maxHours = uint16(_bound(hoursSeed, 1, 3));
        (uint16 uptimeTarget, uint32 maxLatency) = _slaTerms(slaSeed);
        _list(provider, price, capacity, maxHours, (tokensSeed % 7) + 1, uptimeTarget, maxLatency);
    }

    /// @dev Pauses, resumes, delists or changes the terms of a resource, SLA included.
    function manageResource(uint256 resourceSeed, uint256 actionSeed, uint256 termsSeed) external step {
        uint256 resourceId = _bound(resourceSeed, 1, marketplace.resourceCount());
        IResourceMarketplace.Resource memory resource = marketplace.getResource(resourceId);
        uint256 action = actionSeed % 8;
        if (action == 0) {
            vm.prank(resource.provider);
            try marketplace.delistResource(resourceId) {} catch {
                _dropLogs();
            }
        } else if (action < 3) {
            vm.prank(resource.provider);
            try marketplace.setResourcePaused(resourceId, action == 1) {} catch {
                _dropLogs();
            }
        } else {
            _updateTerms(resourceId, resource, termsSeed);
        }
    }

    function _list(
        address provider,
        uint64 price,
        uint16 capacity,
        uint16 maxHours,
        uint256 tokenMask,
        uint16 uptimeTarget,
        uint32 maxLatency
    ) internal {
        IResourceMarketplace.ResourceParams memory params = IResourceMarketplace.ResourceParams({
            metadataCid: CID,
            region: "eu-west-1",
            kind: IResourceMarketplace.ResourceKind.VirtualMachine,
            terms: _terms(price, capacity, maxHours, tokenMask, uptimeTarget, maxLatency)
        });
        vm.prank(provider);
        try marketplace.listResource(params) returns (uint256 resourceId) {
            ResourceGhost storage ghost = resourceGhosts[resourceId];
            ghost.uptimeTargetBps = uptimeTarget;
            ghost.maxLatencyMs = maxLatency;
            ++stats.listed;
        } catch {
            _dropLogs();
            if (!marketplace.paused()) _violation("list: a registered provider could not list");
        }
    }

    /// @dev New terms for a resource; they go through unless it is delisted. A booking made later in
    /// the same second still gets the terms in force before that second.
    function _updateTerms(uint256 resourceId, IResourceMarketplace.Resource memory resource, uint256 seed) private {
        (uint16 uptimeTarget, uint32 maxLatency) = _slaTerms(seed);
        IResourceMarketplace.ResourceTerms memory terms = _terms(
            uint64(_bound(seed >> 32, 1e6, 50e8)),
            uint16(_bound(seed >> 64, 1, 3)),
            uint16(_bound(seed >> 80, 1, 3)),
            ((seed >> 96) % 7) + 1,
            uptimeTarget,
            maxLatency
        );
        bool allowed = resource.status != IResourceMarketplace.ResourceStatus.Delisted;

        vm.prank(resource.provider);
        try marketplace.updateResourceTerms(resourceId, terms) {
            if (!allowed) _violation("terms: a delisted resource changed its terms");
            ResourceGhost storage ghost = resourceGhosts[resourceId];
            if (ghost.changedAt != currentTime) {
                ghost.uptimeBeforeBps = ghost.uptimeTargetBps;
                ghost.latencyBeforeMs = ghost.maxLatencyMs;
                ghost.changedAt = currentTime;
            }
            ghost.uptimeTargetBps = uptimeTarget;
            ghost.maxLatencyMs = maxLatency;
            ++stats.termsChanged;
        } catch {
            _dropLogs();
            if (allowed) _violation("terms: valid new terms refused");
        }
    }

    /// @dev SLA terms from lax to strict; a third of the resources have no latency limit.
    function _slaTerms(uint256 seed) private pure returns (uint16 uptimeTarget, uint32 maxLatency) {
        uptimeTarget = uint16(_bound(seed, 9_000, 9_990));
        maxLatency = seed % 3 == 0 ? 0 : uint32(_bound(seed >> 16, 100, 500));
    }

    function _terms(
        uint64 price,
        uint16 capacity,
        uint16 maxHours,
        uint256 tokenMask,
        uint16 uptimeTarget,
        uint32 maxLatency
    ) private view returns (IResourceMarketplace.ResourceTerms memory terms) {
        uint256 accepted = 0;
        for (uint256 t = 0; t < tokens.length; ++t) {
            if ((tokenMask >> t) & 1 == 1) ++accepted;
        }
        terms.acceptedTokens = new address[](accepted);
        accepted = 0;
        for (uint256 t = 0; t < tokens.length; ++t) {
            if ((tokenMask >> t) & 1 == 1) terms.acceptedTokens[accepted++] = tokens[t];
        }
        terms.pricePerHourUsdE8 = price;
        terms.capacity = capacity;
        terms.minHours = 1;
        terms.maxHours = maxHours;
        terms.uptimeTargetBps = uptimeTarget;
        terms.maxLatencyMs = maxLatency;
    }
}
