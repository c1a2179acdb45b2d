// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {StreamMath} from "../../../contracts/libraries/StreamMath.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title MoneyActions
/// @notice Providers withdraw earnings and manage bonds; consumers, providers and the treasury
/// claim what they are owed, to themselves or to a recipient they name.
abstract contract MoneyActions is HandlerBase {
    using StreamMath for uint256;

    /// @dev Where providers and claimants now and then send their money instead of to themselves.
    address public recipient = vm.addr(0x4000);

    function withdrawEarnings(uint256 providerSeed, uint256 bookingSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        // Mostly a booking with something to withdraw; otherwise any, which must then revert.
        uint256 bookingId = bookingSeed % 4 == 0 ? 0 : _findBookingOf(provider, bookingSeed, true);
        if (bookingId == 0) bookingId = _findBookingOf(provider, bookingSeed, false);
        if (bookingId == 0) return;
        address token = bookingGhosts[bookingId].token;
        (uint256 gross, uint256 fee) = _withdrawable(bookingId);
        uint256 walletBefore = _balanceOf(token, provider);
        uint256 feesBefore = escrow.owed(treasury, token);

        vm.prank(provider);
        try escrow.withdrawEarnings(bookingId) {
            if (gross == 0) _violation("withdraw: paid out with nothing withdrawable");
            uint256 received = _balanceOf(token, provider) - walletBefore;
            if (received != gross - fee) _violation("withdraw: provider received other than gross - fee");
            if (escrow.owed(treasury, token) - feesBefore != fee) _violation("withdraw: treasury fee mismatch");
            tokenGhosts[token].providerPayouts += received;
            ++stats.withdrawals;
        } catch {
            _dropLogs();
            if (gross != 0) _violation("withdraw: provider could not withdraw its earnings");
        }
    }

    /// @dev Withdraws from up to five bookings at once, to the provider or to a recipient it names,
    /// sometimes listing one twice (the second time is worth nothing) or slipping in another
    /// provider's booking (the whole batch must revert).
    function withdrawEarningsBatch(uint256 providerSeed, uint256 idsSeed, uint256 lengthSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        address payee = lengthSeed % 3 == 0 ? recipient : provider;
        uint256 length = _bound(lengthSeed, 1, MAX_BATCH);
        uint256[] memory bookingIds = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) {
            bookingIds[i] = _findBookingOf(provider, uint256(keccak256(abi.encode(idsSeed, i))), false);
            if (bookingIds[i] == 0) return;
        }
        bool foreign = idsSeed % 10 == 0 && _foreignBooking(provider, idsSeed) != 0;
        if (foreign) bookingIds[length - 1] = _foreignBooking(provider, idsSeed);

        uint256[3] memory expected;
        uint256[3] memory fees;
        uint256[3] memory walletBefore;
        uint256[3] memory feesBefore;
        uint256 total = 0;
        for (uint256 i = 0; i < length; ++i) {
            if (_seenBefore(bookingIds, i)) continue;
            (uint256 gross, uint256 fee) = _withdrawable(bookingIds[i]);
            uint256 t = _tokenIndex(bookingGhosts[bookingIds[i]].token);
            expected[t] += gross - fee;
            fees[t] += fee;
            total += gross;
        }
        for (uint256 t = 0; t < tokens.length; ++t) {
            walletBefore[t] = _balanceOf(tokens[t], payee);
            feesBefore[t] = escrow.owed(treasury, tokens[t]);
        }

        vm.prank(provider);
        try escrow.withdrawEarningsTo(bookingIds, payee) {
            if (foreign || total == 0) _violation("batch: accepted a foreign booking or nothing to withdraw");
            for (uint256 t = 0; t < tokens.length; ++t) {
                uint256 received = _balanceOf(tokens[t], payee) - walletBefore[t];
                if (received != expected[t]) _violation("batch: payee received other than gross - fee");
                if (escrow.owed(treasury, tokens[t]) - feesBefore[t] != fees[t]) _violation("batch: fee mismatch");
                tokenGhosts[tokens[t]].providerPayouts += received;
            }
            ++stats.batchWithdrawals;
        } catch {
            _dropLogs();
            if (!foreign && total != 0) _violation("batch: provider could not withdraw its earnings");
        }
    }

    /// @dev Mostly an account and token with something owed; otherwise any, which must then revert.
    /// Now and then the account names a recipient.
    function claim(uint256 accountSeed, uint256 tokenSeed) external step {
        (address account, address token) = _findPair(
            _claimants(),
            accountSeed,
            tokenSeed,
            accountSeed % 4 == 0 ? _anything : _isOwed
        );
        address payee = tokenSeed % 3 == 0 ? recipient : account;
        uint256 owed = escrow.owed(account, token);
        uint256 walletBefore = _balanceOf(token, payee);

        vm.prank(account);
        try escrow.claimTo(token, payee) {
            uint256 received = _balanceOf(token, payee) - walletBefore;
            if (owed == 0 || received != owed) _violation("claim: paid other than what was owed");
            if (escrow.owed(account, token) != 0) _violation("claim: balance left after claiming");
            tokenGhosts[token].claims += received;
            if (account == treasury) tokenGhosts[token].treasuryClaims += received;
            ++stats.claims;
        } catch {
            _dropLogs();
            if (owed != 0) _violation("claim: could not claim what was owed");
        }
    }

    function depositBond(uint256 providerSeed, uint256 tokenSeed, uint256 amountSeed) external step {
        address provider = providers[providerSeed % ACTORS];
        uint256 t = tokenSeed % tokens.length;
        address token = tokens[t];
        uint256 amount = _bound(amountSeed, 1, [uint256(2 ether), 1_000e18, 1_000e6][t]);
        uint256 value = 0;
        if (token == address(0)) {
            value = amount;
            vm.deal(provider, provider.balance + amount);
        } else {
            MockERC20(token).mint(provider, amount);
        }
        uint256 walletBefore = _balanceOf(token, provider);
        uint256 bondBefore = escrow.bondOf(provider, token).amount;

        vm.prank(provider);
        try escrow.depositBond{value: value}(token, amount) {
            uint256 paid = walletBefore - _balanceOf(token, provider);
            if (paid != amount || escrow.bondOf(provider, token).amount - bondBefore != amount) {
                _violation("bond: deposit not credited in full");
            }
            tokenGhosts[token].bondDeposits += paid;
            bondGhosts[provider][token].deposited += paid;
            ++stats.bondsDeposited;
        } catch {
            _dropLogs();
            _violation("bond: deposit in a payment token refused");
        }
    }

    function requestBondWithdrawal(uint256 providerSeed, uint256 tokenSeed, uint256 amountSeed) external step {
        (address provider, address token) = _findPair(_list3(providers), providerSeed, tokenSeed, _isBonded);
        IEscrowManager.Bond memory bond = escrow.bondOf(provider, token);
        if (bond.amount == 0) return;
        uint256 amount = _bound(amountSeed, 1, bond.amount);

        vm.prank(provider);
        try escrow.requestBondWithdrawal(token, amount) {
            IEscrowManager.Bond memory after_ = escrow.bondOf(provider, token);
            if (after_.amount + after_.unbonding != uint256(bond.amount) + bond.unbonding) {
                _violation("bond: unbonding request changed the total");
            }
        } catch {
            _dropLogs();
            _violation("bond: unbonding request refused");
        }
    }

    /// @dev Withdraws unbonded funds, waiting out the unbonding delay half of the time.
    function withdrawBond(uint256 providerSeed, uint256 tokenSeed, uint256 waitSeed) external step {
        bool wait = waitSeed % 2 == 0;
        (address provider, address token) = _findPair(_list3(providers), providerSeed, tokenSeed, _isUnbonding);
        IEscrowManager.Bond memory bond = escrow.bondOf(provider, token);
        if (bond.unbonding == 0) return;
        if (wait && currentTime < bond.unbondingAvailableAt) _warpTo(bond.unbondingAvailableAt);
        bool available = currentTime >= bond.unbondingAvailableAt;
        uint256 walletBefore = _balanceOf(token, provider);

        vm.prank(provider);
        try escrow.withdrawBond(token) {
            if (!available) _violation("bond: withdrawn before the unbonding delay");
            uint256 received = _balanceOf(token, provider) - walletBefore;
            if (received != bond.unbonding) _violation("bond: withdrawal other than the unbonding amount");
            tokenGhosts[token].bondWithdrawals += received;
            bondGhosts[provider][token].withdrawn += received;
            ++stats.bondsWithdrawn;
        } catch {
            _dropLogs();
            if (available) _violation("bond: unbonded funds could not be withdrawn");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev A started booking of `provider` (the ones that can have earnings), with something
    /// withdrawable if `withEarnings`, or 0.
    function _findBookingOf(address provider, uint256 seed, bool withEarnings) private view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (bookingGhosts[id].provider != provider || !_isStarted(id)) continue;
            if (!withEarnings || escrow.withdrawable(id) != 0) return id;
        }
        return 0;
    }

    function _foreignBooking(address provider, uint256 seed) private view returns (uint256) {
        uint256 count = marketplace.bookingCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            if (bookingGhosts[id].provider != provider) return id;
        }
        return 0;
    }

    /// @dev First (account, token) pair from a random start that `matches`, or the starting pair.
    function _findPair(
        address[] memory accounts,
        uint256 accountSeed,
        uint256 tokenSeed,
        function(address, address) view returns (bool) matches
    ) private view returns (address, address) {
        uint256 pairs = accounts.length * tokens.length;
        uint256 start = (accountSeed % accounts.length) * tokens.length + (tokenSeed % tokens.length);
        for (uint256 i = 0; i < pairs; ++i) {
            uint256 pair = (start + i) % pairs;
            address account = accounts[pair / tokens.length];
            address token = tokens[pair % tokens.length];
            if (matches(account, token)) return (account, token);
        }
        return (accounts[start / tokens.length], tokens[start % tokens.length]);
    }

    function _anything(address, address) private pure returns (bool) {
        return true;
    }

    function _isOwed(address account, address token) private view returns (bool) {
        return escrow.owed(account, token) != 0;
    }

    function _isBonded(address provider, address token) private view returns (bool) {
        return escrow.bondOf(provider, token).amount != 0;
    }

    function _isUnbonding(address provider, address token) private view returns (bool) {
        return escrow.bondOf(provider, token).unbonding != 0;
    }

    /// @dev Everyone who can be owed something: consumers, providers (cancellation fees) and the treasury.
    function _claimants() private view returns (address[] memory list) {
        list = new address[](2 * ACTORS + 1);
        for (uint256 i = 0; i < ACTORS; ++i) {
            list[i] = consumers[i];
            list[ACTORS + i] = providers[i];
        }
        list[2 * ACTORS] = treasury;
    }

    function _seenBefore(uint256[] memory ids, uint256 index) private pure returns (bool) {
        for (uint256 j = 0; j < index; ++j) {
            if (ids[j] == ids[index]) return true;
        }
        return false;
    }

    /// @dev What the escrow says is withdrawable, with the fee the stream was opened at; also checks
    /// that the provider is never paid ahead of the stream.
    function _withdrawable(uint256 bookingId) private returns (uint256 gross, uint256 fee) {
        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        gross = escrow.withdrawable(bookingId);
        fee = (gross * stream.feeBps) / BPS;
        uint256 until = currentTime < stream.endsAt ? currentTime : stream.endsAt;
        uint256 streamedSoFar = bookingGhosts[bookingId].deposit.streamed(
            until - stream.startedAt,
            uint256(stream.hoursBooked) * 1 hours
        );
        if (stream.debited + gross > streamedSoFar) _violation("withdraw: provider paid ahead of the stream");
    }
}
