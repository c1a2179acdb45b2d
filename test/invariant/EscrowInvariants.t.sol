// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {BondGhost, BookingGhost, Stats, TokenGhost} from "./handlers/HandlerBase.sol";
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
/// 3. Per booking, the provider's gross withdrawals (its payout plus the protocol fee) and
///    cancellation fee plus the consumer's refunds and SLA credits never exceed the deposit, and
///    together with what the escrow still owes for the booking they add up to it exactly.
/// 4. Bonds never go below zero: each provider's bond in each token is what it deposited less
///    what it withdrew and what was slashed, and slashes never took more than was deposited.
/// 5. Nothing is slashed without a provider fault: every slash follows a provisioning timeout or
///    a termination by the provider, and takes at most the slash share of the booking's value in
///    USD across the provider's bond tokens (the handler checks each slash).
/// 6. The active value the escrow keeps per provider and token (what bond coverage is measured
///    against) is exactly the deposits of its started bookings that are neither stopped nor closed.
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
            uint256 paidOut = ghost.providerGross + ghost.cancellationFee + ghost.refunds + ghost.slaCredits;
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

    function invariant_bondsNeverGoBelowZero() public view {
        address[] memory providers = handler.allProviders();
        address[] memory tokens = handler.allTokens();
        for (uint256 i = 0; i < providers.length; ++i) {
            for (uint256 t = 0; t < tokens.length; ++t) {
                BondGhost memory ghost = handler.bondGhost(providers[i], tokens[t]);
                IEscrowManager.Bond memory bond = escrow.bondOf(providers[i], tokens[t]);
                assertLe(ghost.withdrawn + ghost.slashed, ghost.deposited, "bond paid out more than was deposited");
                assertEq(
                    uint256(bond.amount) + bond.unbonding,
                    ghost.deposited - ghost.withdrawn - ghost.slashed,
                    "bond differs from deposits less withdrawals and slashes"
                );
            }
        }
    }

    function invariant_nothingSlashedWithoutProviderFault() public view {
        assertEq(handler.slashesWithoutFault(), 0, "a bond was slashed without a provider failure");
    }

    function invariant_activeValueIsTheStartedBookings() public view {
        address[] memory providers = handler.allProviders();
        address[] memory tokens = handler.allTokens();
        for (uint256 i = 0; i < providers.length; ++i) {
            for (uint256 t = 0; t < tokens.length; ++t) {
                assertEq(
                    escrow.activeValueOf(providers[i], tokens[t]),
                    handler.activeValueGhost(providers[i], tokens[t]),
                    "active value differs from the started bookings"
                );
            }
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
        handler.depositBond(2, 1, 500e18); // provider 2 is bonded in DAI only
        handler.book(0, 0, 3, 0, 0, 1e17); // 1: ETH, provider 0
        handler.book(1, 1, 2, 1, 0, 0); // 2: DAI, provider 1
        handler.book(2, 2, 1, 2, 0, 0); // 3: USDC, provider 2
        handler.book(0, 0, 1, 1, 0, 0); // 4: DAI, provider 0; left to time out
        handler.book(0, 1, 1, 0, 0, 1); // asks for a stricter SLA than offered: refused
        handler.confirmProvisioning(2, 0);
        handler.confirmProvisioning(2, 1);
        handler.confirmProvisioning(2, 2);
        handler.cancelAfterTimeout(3, 0, 0);
        handler.book(1, 1, 1, 0, 0, 0); // 5: ETH, provider 1; the oracles find its key unusable
        handler.cancelForConsumerFault(4, 2, 1);
        handler.book(2, 0, 1, 2, 0, 0); // 6: USDC, provider 0; cancelled after the free window
        handler.warp(0x100 * 45 + 1);
        handler.cancelBooking(5);
        handler.manageResource(1, 3, 0x1234567); // new SLA terms for a booked resource
        for (uint256 i = 0; i < 6; ++i) {
            handler.submitReports(0, i * 7 + 4, 2, 0x10 * (i % 4) + 1, i);
            handler.submitReports(1, i * 11 + 3, 3, 0x10 + 1, i);
            // Reports of several periods, alone, overlapping, following or preceding another.
            handler.submitReports(i, i * 13 + 5, 2, ((i + 3) << 40) | (0x10 * (i % 5)) | 1, i);
        }
        handler.warp(0x1000 * 400);
        handler.terminateBooking(2, 1, 1); // by provider 2: slashed from its DAI bond
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
        assertEq(stats.booked, 6, "booked");
        assertEq(stats.refusedForSla, 1, "refused below the consumer's minimum SLA");
        assertEq(stats.confirmed, 3, "confirmed");
        assertEq(stats.timedOut, 1, "cancelled after timeout");
        assertEq(stats.consumerFaults, 1, "cancelled for a consumer fault");
        assertEq(stats.cancellationFees, 1, "cancelled for a fee");
        assertEq(stats.termsChanged, 1, "terms changed");
        assertEq(stats.terminated, 1, "terminated");
        assertGt(stats.crossTokenSlashes, 0, "slashed from another token's bond");
        assertEq(stats.completed, 2, "completed");
        assertGt(stats.periodsSettled, 6, "periods settled");
        assertGt(stats.rangesSubmitted, 0, "reports of several periods");
        assertGt(stats.withdrawals + stats.batchWithdrawals, 1, "withdrawals");
        assertEq(stats.ratings, 1, "ratings");
        assertGt(stats.claims, 0, "claims");
        assertEq(stats.bondsWithdrawn, 1, "bond withdrawals");
        assertEq(stats.policyChanges, 1, "credit policy changes");
        assertEq(stats.outsiderAttempts, 1, "outsider attempts");
        invariant_escrowIsSolvent();
        invariant_valueIsConserved();
        invariant_bookingsPayOutNoMoreThanTheirDeposit();
        invariant_bondsNeverGoBelowZero();
        invariant_nothingSlashedWithoutProviderFault();
        invariant_activeValueIsTheStartedBookings();
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
