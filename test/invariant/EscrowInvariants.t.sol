// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {BookingGhost, Stats, TokenGhost} from "./handlers/MarketplaceHandler.sol";
import {InvariantBase} from "./InvariantBase.sol";

/// @title Escrow invariants: solvency and conservation of value
/// @notice Random providers, consumers, oracles and outsiders drive the whole protocol (see
/// MarketplaceHandler) in ETH, an 18-decimal and a 6-decimal token. After every call, in each token:
///
/// 1. Solvency. The escrow holds at least what it owes: for every booking, its whole deposit until it
///    starts (nothing once refunded), then what streams up to its end less what has been debited
///    from it (withdrawals and SLA credits); plus everything any account can claim; plus every bond,
///    bonded or unbonding. Nothing else is held, except tokens donated to the escrow directly.
/// 2. Conservation. Everything that came in (booking payments, bonds, donations) equals everything
///    that went out (provider payouts, claims of refunds, credits, slashes and fees, bond
///    withdrawals) plus what is still held, measured at the wallets involved. Fees charged equal
///    the treasury's claimable balance plus what it claimed; bonds equal deposits less withdrawals
///    less slashes.
/// 3. Per booking, the provider's gross withdrawals (its payout plus the protocol fee) plus the
///    consumer's refunds and SLA credits never exceed the deposit, and together with what the
///    escrow still owes for the booking they add up to it exactly.
///
/// Governance cannot change the report window (the handler tries): a longer window would reopen
/// periods already paid out as compliant, and a late SLA credit would then break invariant 1.
contract EscrowInvariants is InvariantBase {
    function invariant_escrowIsSolvent() public view {
        address[] memory tokens = handler.allTokens();
        for (uint256 t = 0; t < tokens.length; ++t) {
            uint256 held = _balanceOf(tokens[t], address(escrow));
            uint256 owed = _liabilities(tokens[t]);
            assertGe(held, owed, "escrow holds less than it owes");
            assertEq(held - owed, handler.tokenGhost(tokens[t]).donations, "escrow holds value nobody accounts for");
        }
    }

    function invariant_valueIsConserved() public view {
        address[] memory tokens = handler.allTokens();
        address[] memory accounts = handler.allAccounts();
        for (uint256 t = 0; t < tokens.length; ++t) {
            TokenGhost memory ghost = handler.tokenGhost(tokens[t]);
            assertEq(
                ghost.bookingDeposits + ghost.bondDeposits + ghost.donations,
                ghost.providerPayouts + ghost.claims + ghost.bondWithdrawals + _balanceOf(tokens[t], address(escrow)),
                "value came in or went out unaccounted"
            );
            assertEq(
                ghost.feesCharged,
                escrow.owed(treasury, tokens[t]) + ghost.treasuryClaims,
                "fees charged differ from what the treasury got"
            );
            uint256 bonds = 0;
            for (uint256 i = 0; i < accounts.length; ++i) {
                IEscrowManager.Bond memory bond = escrow.bondOf(accounts[i], tokens[t]);
                bonds += uint256(bond.amount) + bond.unbonding;
            }
            assertEq(
                bonds,
                ghost.bondDeposits - ghost.bondWithdrawals - ghost.bondsSlashed,
                "bonds differ from deposits less withdrawals and slashes"
            );
        }
    }

    function invariant_bookingsPayOutNoMoreThanTheirDeposit() public view {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            BookingGhost memory ghost = handler.bookingGhost(id);
            uint256 paidOut = ghost.providerGross + ghost.refunds + ghost.slaCredits;
            assertEq(escrow.depositOf(id).amount, ghost.deposit, "deposit changed");
            assertLe(ghost.fees, ghost.providerGross, "fee above the withdrawal it was taken from");
            assertLe(paidOut, ghost.deposit, "booking paid out more than its deposit");
            assertEq(paidOut + _bookingLiability(id), ghost.deposit, "booking value unaccounted");
            IEscrowManager.Stream memory stream = escrow.streamOf(id);
            if (stream.state == IEscrowManager.StreamState.None) continue;
            if (stream.state == IEscrowManager.StreamState.Refunded) continue;
            assertEq(
                stream.debited,
                ghost.providerGross + ghost.slaCredits,
                "debited differs from withdrawals + credits"
            );
        }
    }

    /// @dev The invariant checks are not vacuous: a single wei missing from the escrow is caught.
    function test_solvencyCheckCatchesAShortfall() public {
        handler.book(0, 0, 1, 0, 0, 0);
        invariant_escrowIsSolvent();
        vm.deal(address(escrow), address(escrow).balance - 1);
        vm.expectRevert();
        this.invariant_escrowIsSolvent();
    }

    /// @dev ...and value that appears without a recorded deposit is caught too.
    function test_conservationCheckCatchesUnrecordedValue() public {
        handler.book(0, 0, 1, 1, 0, 0);
        invariant_valueIsConserved();
        dai.mint(address(escrow), 1);
        vm.expectRevert();
        this.invariant_valueIsConserved();
    }

    /// @dev A fixed walk through every action, so that a handler that silently did nothing (every
    /// call reverting or returning early) would fail here rather than let the invariants pass vacuously.
    function test_handlerReachesEveryAction() public {
        handler.depositBond(0, 0, 1 ether);
        handler.depositBond(1, 1, 500e18);
        handler.book(0, 0, 3, 0, 0, 1e17); // ETH, provider 0
        handler.book(1, 1, 2, 1, 0, 0); // DAI, provider 1
        handler.book(2, 2, 1, 2, 0, 0); // USDC, provider 2
        handler.book(0, 0, 1, 1, 0, 0); // DAI, provider 0; left to time out
        handler.confirmProvisioning(0, 0);
        handler.confirmProvisioning(1, 1);
        handler.confirmProvisioning(2, 2);
        handler.cancelAfterTimeout(3, 0, 0);
        for (uint256 i = 0; i < 6; ++i) {
            handler.submitReports(0, i * 7 + 4, 2, 0x10 * (i % 4) + 1, i);
            handler.submitReports(1, i * 11 + 3, 3, 0x10 + 1, i);
        }
        handler.warp(0x1000 * 400);
        handler.terminateBooking(2, 1, 1);
        handler.withdrawEarnings(0, 0);
        handler.withdrawEarningsBatch(1, 1, 3);
        handler.completeBooking(1, 0, 1);
        handler.completeBooking(0, 0, 1);
        handler.warp(0x100 * 3 hours);
        handler.withdrawEarningsBatch(0, 0, 2);
        handler.rateBooking(0, 5);
        handler.claim(0, 0);
        handler.claim(6, 1);
        handler.requestBondWithdrawal(0, 0, 0.5 ether);
        handler.withdrawBond(0, 0, 0);
        handler.outsider(0, 1, 7);
        handler.govern(100, 2_000, 60, 0);

        Stats memory stats = handler.statistics();
        assertEq(handler.violations(), 0, handler.firstViolation());
        assertEq(handler.outsiderViolations(), 0, handler.firstOutsiderViolation());
        assertEq(stats.booked, 4, "booked");
        assertEq(stats.confirmed, 3, "confirmed");
        assertEq(stats.timedOut, 1, "cancelled after timeout");
        assertEq(stats.terminated, 1, "terminated");
        assertEq(stats.completed, 2, "completed");
        assertGt(stats.periodsSettled, 6, "periods settled");
        assertGt(stats.withdrawals + stats.batchWithdrawals, 1, "withdrawals");
        assertEq(stats.ratings, 1, "ratings");
        assertGt(stats.claims, 0, "claims");
        assertEq(stats.bondsWithdrawn, 1, "bond withdrawals");
        assertEq(stats.outsiderAttempts, 1, "outsider attempts");
        invariant_escrowIsSolvent();
        invariant_valueIsConserved();
        invariant_bookingsPayOutNoMoreThanTheirDeposit();
    }

    function _liabilities(address token) private view returns (uint256 total) {
        uint256 count = marketplace.bookingCount();
        for (uint256 id = 1; id <= count; ++id) {
            if (priceOracle.tokenAddress(marketplace.getBooking(id).tokenId) == token) total += _bookingLiability(id);
        }
        address[] memory accounts = handler.allAccounts();
        for (uint256 i = 0; i < accounts.length; ++i) {
            IEscrowManager.Bond memory bond = escrow.bondOf(accounts[i], token);
            total += escrow.owed(accounts[i], token) + bond.amount + bond.unbonding;
        }
    }
}
