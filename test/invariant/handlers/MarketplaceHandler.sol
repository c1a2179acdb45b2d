// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {BookingActions} from "./BookingActions.sol";
import {BondGhost, BookingGhost, HandlerBase, Stats, System, TokenGhost} from "./HandlerBase.sol";
import {LogObserver} from "./LogObserver.sol";
import {MoneyActions} from "./MoneyActions.sol";
import {ReportActions} from "./ReportActions.sol";
import {ResourceActions} from "./ResourceActions.sol";
import {SystemActions} from "./SystemActions.sol";

/// @title MarketplaceHandler
/// @notice Drives the deployed protocol through random but meaningful sequences: providers list
/// resources, change their terms and post bonds; consumers book in ETH and two ERC-20s; quorums of
/// oracles confirm provisioning, state consumer faults and sign SLA reports; time passes; bookings
/// are cancelled, time out, are terminated and completed; money is withdrawn and claimed; the DAO
/// changes parameters; outsiders try every function they should not be able to use.
/// @dev The actions live in one contract per concern (see the contracts it inherits); this one
/// wires them together and answers the invariant suites.
contract MarketplaceHandler is
    LogObserver,
    ResourceActions,
    BookingActions,
    ReportActions,
    MoneyActions,
    SystemActions
{
    constructor(System memory s) HandlerBase(s) {
        // One resource per provider from the start, so that the first calls can already book.
        for (uint256 i = 0; i < ACTORS; ++i) {
            vm.prank(providers[i]);
            marketplace.registerProvider(CID);
            _list(providers[i], 150_000_000, 3, 3, 7, 9_950, 250);
        }
    }

    function bookingGhost(uint256 bookingId) external view returns (BookingGhost memory) {
        return bookingGhosts[bookingId];
    }

    function tokenGhost(address token) external view returns (TokenGhost memory) {
        return tokenGhosts[token];
    }

    function bondGhost(address provider, address token) external view returns (BondGhost memory) {
        return bondGhosts[provider][token];
    }

    function providerGhost(address provider) external view returns (IReputationSystem.Record memory) {
        return providerGhosts[provider];
    }

    function statistics() external view returns (Stats memory) {
        return stats;
    }

    function allTokens() external view returns (address[] memory) {
        return _list3(tokens);
    }

    function allProviders() external view returns (address[] memory) {
        return _list3(providers);
    }

    function allOutsiders() external view returns (address[] memory list) {
        list = new address[](OUTSIDERS);
        for (uint256 i = 0; i < OUTSIDERS; ++i) list[i] = outsiders[i];
    }

    /// @inheritdoc SystemActions
    function allAccounts() public view override returns (address[] memory list) {
        list = new address[](3 * ACTORS + OUTSIDERS + 4);
        uint256 n = 0;
        for (uint256 i = 0; i < ACTORS; ++i) {
            list[n++] = providers[i];
            list[n++] = consumers[i];
            list[n++] = oracles[i];
        }
        for (uint256 i = 0; i < OUTSIDERS; ++i) list[n++] = outsiders[i];
        list[n++] = treasury;
        list[n++] = admin;
        list[n++] = guardian;
        list[n++] = recipient;
    }
}
