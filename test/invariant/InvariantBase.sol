// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {StreamMath} from "../../contracts/libraries/StreamMath.sol";
import {CoreDeployment} from "./CoreDeployment.sol";
import {MarketplaceHandler, System} from "./handlers/MarketplaceHandler.sol";

/// @notice Deploys the protocol and points the invariant runner at every action of the handler.
abstract contract InvariantBase is CoreDeployment {
    MarketplaceHandler internal handler;

    function setUp() public virtual {
        _deployCore();
        System memory system = System({
            priceOracle: priceOracle,
            reputation: reputation,
            escrow: escrow,
            marketplace: marketplace,
            sla: sla,
            dai: dai,
            usdc: usdc,
            ethFeed: ethFeed,
            daiFeed: daiFeed,
            usdcFeed: usdcFeed,
            admin: admin,
            treasury: treasury,
            guardian: guardian,
            oracleKeys: oracleKeys
        });
        handler = MarketplaceHandler(
            _deployArtifact("test/invariant/handlers/MarketplaceHandler.sol:MarketplaceHandler", abi.encode(system))
        );
        vm.label(address(handler), "MarketplaceHandler");

        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = MarketplaceHandler.listResource.selector;
        selectors[1] = MarketplaceHandler.manageResource.selector;
        selectors[2] = MarketplaceHandler.book.selector;
        selectors[3] = MarketplaceHandler.confirmProvisioning.selector;
        selectors[4] = MarketplaceHandler.cancelBooking.selector;
        selectors[5] = MarketplaceHandler.cancelAfterTimeout.selector;
        selectors[6] = MarketplaceHandler.terminateBooking.selector;
        selectors[7] = MarketplaceHandler.completeBooking.selector;
        selectors[8] = MarketplaceHandler.rateBooking.selector;
        selectors[9] = MarketplaceHandler.submitReports.selector;
        selectors[10] = MarketplaceHandler.withdrawEarnings.selector;
        selectors[11] = MarketplaceHandler.withdrawEarningsBatch.selector;
        selectors[12] = MarketplaceHandler.claim.selector;
        selectors[13] = MarketplaceHandler.depositBond.selector;
        selectors[14] = MarketplaceHandler.requestBondWithdrawal.selector;
        selectors[15] = MarketplaceHandler.withdrawBond.selector;
        selectors[16] = MarketplaceHandler.warp.selector;
        selectors[17] = MarketplaceHandler.donate.selector;
        selectors[18] = MarketplaceHandler.govern.selector;
        selectors[19] = MarketplaceHandler.outsider.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev What the escrow still owes for a booking: the whole deposit before it starts, nothing
    /// once refunded, otherwise what streams up to its (possibly early) end less what was debited.
    function _bookingLiability(uint256 bookingId) internal view returns (uint256) {
        IEscrowManager.Deposit memory deposit = escrow.depositOf(bookingId);
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        if (stream.state == IEscrowManager.StreamState.None) return deposit.amount;
        if (stream.state == IEscrowManager.StreamState.Refunded) return 0;
        uint256 streamed = StreamMath.streamed(
            deposit.amount,
            stream.endsAt - stream.startedAt,
            uint256(stream.hoursBooked) * 1 hours
        );
        assertLe(stream.debited, streamed, "booking debited beyond what it streams");
        return streamed - stream.debited;
    }

    function _balanceOf(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : IERC20(token).balanceOf(account);
    }
}
