// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {StreamMath} from "../../contracts/libraries/StreamMath.sol";
import {CoreDeployment} from "./CoreDeployment.sol";
import {BookingActions} from "./handlers/BookingActions.sol";
import {System} from "./handlers/HandlerBase.sol";
import {MarketplaceHandler} from "./handlers/MarketplaceHandler.sol";
import {MoneyActions} from "./handlers/MoneyActions.sol";
import {ReportActions} from "./handlers/ReportActions.sol";
import {ResourceActions} from "./handlers/ResourceActions.sol";
import {SystemActions} from "./handlers/SystemActions.sol";

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

        bytes4[] memory selectors = new bytes4[](21);
        selectors[0] = ResourceActions.listResource.selector;
        selectors[1] = ResourceActions.manageResource.selector;
        selectors[2] = BookingActions.book.selector;
        selectors[3] = BookingActions.confirmProvisioning.selector;
        selectors[4] = BookingActions.cancelBooking.selector;
        selectors[5] = BookingActions.cancelAfterTimeout.selector;
        selectors[6] = BookingActions.cancelForConsumerFault.selector;
        selectors[7] = BookingActions.terminateBooking.selector;
        selectors[8] = BookingActions.completeBooking.selector;
        selectors[9] = BookingActions.rateBooking.selector;
        selectors[10] = ReportActions.submitReports.selector;
        selectors[11] = MoneyActions.withdrawEarnings.selector;
        selectors[12] = MoneyActions.withdrawEarningsBatch.selector;
        selectors[13] = MoneyActions.claim.selector;
        selectors[14] = MoneyActions.depositBond.selector;
        selectors[15] = MoneyActions.requestBondWithdrawal.selector;
        selectors[16] = MoneyActions.withdrawBond.selector;
        selectors[17] = SystemActions.warp.selector;
        selectors[18] = SystemActions.donate.selector;
        selectors[19] = SystemActions.govern.selector;
        selectors[20] = SystemActions.outsider.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev What the escrow still owes for a booking: the whole deposit before it starts, nothing
    /// once refunded, otherwise what streams up to its (possibly early) end less what was debited.
    function _bookingLiability(uint256 bookingId) internal view returns (uint256) {
        IEscrowManager.Deposit memory deposit = escrow.depositOf(bookingId);
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        if (stream.state == IEscrowManager.StreamState.None) return deposit.amount;
        // A refund pays out the whole deposit: to the consumer, less any cancellation fee to the provider.
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
