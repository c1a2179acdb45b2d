// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {IReputationSystem} from "../../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../../contracts/interfaces/IResourceMarketplace.sol";
import {StreamMath} from "../../../contracts/libraries/StreamMath.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {BookingGhost, HandlerBase, ResourceGhost} from "./HandlerBase.sol";

/// @title BookingActions
/// @notice Consumers book, oracles confirm provisioning or state a consumer fault, bookings are
/// cancelled, time out, are terminated by either party, completed and rated.
abstract contract BookingActions is HandlerBase {
    using StreamMath for uint256;

    /// @dev The statements oracles sign, written out from the specification.
    bytes32 private constant PROVISIONING_TYPEHASH = keccak256(
        "Provisioning(uint256 bookingId,address consumer,string accessDetailsCid)"
    );
    bytes32 private constant CONSUMER_FAULT_TYPEHASH = keccak256(
        "ConsumerFault(uint256 bookingId,address consumer,uint8 reason)"
    );
    /// @dev u = 1, a small-order X25519 point: with it every shared secret is known.
    bytes32 private constant SMALL_ORDER_KEY = bytes32(uint256(1) << 248);

    /// @dev A booking a consumer is about to make, and whether it should go through.
    struct Order {
        address consumer;
        address provider;
        address token;
        uint256 resourceId;
        uint16 hoursBooked;
        uint256 amount;
        uint256 value;
        IResourceMarketplace.SlaTerms offered;
        IResourceMarketplace.SlaTerms minimum;
        bool tooStrict;
        bool badKey;
        bool covered;
    }

    /// @dev Books a listed resource with free capacity in one of the tokens it accepts, at fresh
    /// prices, with the SLA the consumer was shown as its minimum. Now and then the consumer asks
    /// for more than is offered or sends a small-order key, and the booking must be refused; it is
    /// also refused when the provider's bonds do not cover the minimum share of its bookings. Three
    /// times out of four the oracles confirm provisioning right away, as for a healthy provider.
    function book(
        uint256 consumerSeed,
        uint256 resourceSeed,
        uint256 hoursSeed,
        uint256 tokenSeed,
        uint256 priceSeed,
        uint256 extraSeed
    ) external step {
        uint256 resourceId = _findBookableResource(resourceSeed);
        if (resourceId == 0) return;
        _movePrices(priceSeed);
        Order memory order = _order(consumers[consumerSeed % ACTORS], resourceId, hoursSeed, tokenSeed, extraSeed);
        uint256 balanceBefore = _balanceOf(order.token, order.consumer);

        vm.prank(order.consumer);
        try
            marketplace.book{value: order.value}(
                resourceId,
                order.hoursBooked,
                order.token,
                order.amount,
                order.minimum,
                order.badKey ? SMALL_ORDER_KEY : ENCRYPTION_KEY
            )
        returns (uint256 bookingId) {
            if (order.tooStrict) _violation("book: accepted terms looser than the consumer's minimum");
            if (order.badKey) _violation("book: accepted a small-order encryption key");
            if (!order.covered) _violation("book: accepted without the minimum bond coverage");
            uint256 paid = balanceBefore - _balanceOf(order.token, order.consumer);
            if (paid != order.amount) _violation("book: consumer paid other than the quote");
            tokenGhosts[order.token].bookingDeposits += paid;
            _recordBooking(bookingId, order);
            _checkAgreement(bookingId);
            ++stats.booked;
            if (extraSeed % 4 != 0) _confirm(bookingId, extraSeed >> 16);
        } catch {
            _dropLogs();
            if (order.tooStrict) ++stats.refusedForSla;
            else if (!order.covered && !order.badKey) ++stats.refusedForBond;
            else if (!order.badKey && !marketplace.paused()) _violation("book: a valid booking was refused");
        }
    }

    /// @dev Mostly confirms a booking still within its provisioning deadline; now and then any
    /// requested booking, which must be refused once the deadline has passed.
    function confirmProvisioning(uint256 signersSeed, uint256 bookingSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, bookingSeed % 4 == 0 ? _isRequested : _isConfirmable);
        if (bookingId == 0) return;
        _confirm(bookingId, signersSeed);
    }

    /// @dev The consumer may cancel a booking that is not provisioned, at any time: free within the
    /// free window, for the cancellation fee after it, as a timeout once the deadline has passed.
    function cancelBooking(uint256 bookingSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isRequested);
        if (bookingId == 0) return;
        _cancel(bookingId, bookingGhosts[bookingId].consumer);
    }

    /// @dev Anyone may cancel once provisioning has timed out; waits for the deadline if needed.
    function cancelAfterTimeout(uint256 bookingSeed, uint256 keeperSeed, uint256 delaySeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isRequested);
        if (bookingId == 0) return;
        uint256 deadline = bookingGhosts[bookingId].deadline;
        if (currentTime <= deadline) _warpTo(deadline + 1 + _bound(delaySeed, 0, 600));
        _cancel(bookingId, outsiders[keeperSeed % OUTSIDERS]);
    }

    /// @dev Oracles state that a requested booking cannot be served because of the consumer's own
    /// input: the consumer gets the whole deposit back, nobody is slashed, no reputation changes.
    /// One signature too few, or a reason that is not a consumer fault, must be refused.
    function cancelForConsumerFault(uint256 bookingSeed, uint256 signersSeed, uint256 submitterSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isRequested);
        if (bookingId == 0) return;
        BookingGhost storage ghost = bookingGhosts[bookingId];
        uint256 count = _signerCount(signersSeed);
        IResourceMarketplace.CancelReason reason =
            submitterSeed % 8 == 0
                ? IResourceMarketplace.CancelReason.ProvisioningTimedOut
                : IResourceMarketplace.CancelReason.UnusableEncryptionKey;
        bytes[] memory signatures = _signStatement(
            keccak256(abi.encode(CONSUMER_FAULT_TYPEHASH, bookingId, ghost.consumer, uint8(reason))),
            count,
            signersSeed >> 8
        );
        bool valid = count >= sla.quorum() && reason == IResourceMarketplace.CancelReason.UnusableEncryptionKey;
        uint256 owedBefore = escrow.owed(ghost.consumer, ghost.token);
        IReputationSystem.Record memory recordBefore = reputation.recordOf(ghost.provider);

        vm.prank(_anyone(submitterSeed >> 8));
        try marketplace.cancelForConsumerFault(bookingId, reason, signatures) {
            if (!valid) _violation("fault: accepted without a quorum or for another reason");
            if (escrow.owed(ghost.consumer, ghost.token) - owedBefore != ghost.deposit) {
                _violation("fault: consumer not refunded the whole deposit");
            }
            if (keccak256(abi.encode(reputation.recordOf(ghost.provider))) != keccak256(abi.encode(recordBefore))) {
                _violation("fault: the provider's reputation changed");
            }
            ++stats.consumerFaults;
        } catch {
            _dropLogs();
            if (valid) _violation("fault: a quorum's statement was refused");
        }
    }

    /// @dev Either party ends an active booking early; a party to other bookings tries first and fails.
    function terminateBooking(uint256 bookingSeed, uint256 callerSeed, uint256 intruderSeed) external step {
        bool byProvider = callerSeed % 2 == 1;
        uint256 bookingId = _findBooking(bookingSeed, _isTerminable);
        if (bookingId == 0) return;
        BookingGhost storage ghost = bookingGhosts[bookingId];
        _tryAsIntruder(
            bookingId,
            intruderSeed,
            abi.encodeCall(IResourceMarketplace.terminateBooking, (bookingId)),
            "terminate"
        );

        IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
        uint256 refund =
            ghost.deposit -
                ghost.deposit.streamed(currentTime - stream.startedAt, uint256(stream.hoursBooked) * 1 hours);
        uint256 slash = byProvider ? _sameTokenSlash(bookingId) : 0;
        uint256 owedBefore = escrow.owed(ghost.consumer, ghost.token);

        vm.prank(byProvider ? ghost.provider : ghost.consumer);
        try marketplace.terminateBooking(bookingId) {
            if (escrow.owed(ghost.consumer, ghost.token) - owedBefore != refund + slash) {
                _violation("terminate: consumer not credited the unstreamed value and the slash");
            }
            ++stats.terminated;
        } catch {
            _dropLogs();
            _violation("terminate: a party could not end an active booking");
        }
    }

    /// @dev Anyone completes a booking that has ended; most of the time waits for the end first.
    function completeBooking(uint256 bookingSeed, uint256 callerSeed, uint256 waitSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isActive);
        if (bookingId == 0) return;
        uint256 endsAt = escrow.streamOf(bookingId).endsAt;
        if (currentTime < endsAt && waitSeed % 4 != 0) _warpTo(endsAt + _bound(waitSeed >> 8, 0, 600));
        bool ended = currentTime >= endsAt;

        vm.prank(_anyone(callerSeed));
        try marketplace.completeBooking(bookingId) {
            if (!ended) _violation("complete: accepted before the booking ended");
            ++stats.completed;
        } catch {
            _dropLogs();
            if (ended) _violation("complete: refused after the booking ended");
        }
    }

    /// @dev The consumer rates a completed booking; scores 0 and 6 are out of range, a booking can
    /// be rated once, and only if it is worth the reputation system's minimum value at today's
    /// price. Another consumer tries first and must fail.
    function rateBooking(uint256 bookingSeed, uint256 scoreSeed) external step {
        uint256 bookingId = _findBooking(bookingSeed, _isCompleted);
        if (bookingId == 0) return;
        BookingGhost storage ghost = bookingGhosts[bookingId];
        uint8 score = uint8(scoreSeed % 7);
        _tryAsIntruder(bookingId, scoreSeed, abi.encodeCall(IResourceMarketplace.rateBooking, (bookingId, 3)), "rate");
        uint256 t = _tokenIndex(ghost.token);
        uint256 usd = _usd(t, ghost.deposit);
        bool accepted =
            score >= 1 &&
                score <= 5 &&
                !reputation.isRated(bookingId) &&
                _priced(t) &&
                usd >= reputation.minValueUsdE8();

        vm.prank(ghost.consumer);
        try marketplace.rateBooking(bookingId, score) {
            if (!accepted) _violation("rate: accepted an invalid, repeated or too small rating");
            IReputationSystem.Record storage provider = providerGhosts[ghost.provider];
            ++provider.ratingsCount;
            provider.ratingsSum += score;
            provider.successUsdE8 += uint128((usd * (score - 1)) / 4);
            provider.trialUsdE8 += uint128(usd);
            ++stats.ratings;
        } catch {
            _dropLogs();
            if (accepted) _violation("rate: refused a valid first rating");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Prices a booking of the resource in one of the tokens it accepts and funds the consumer.
    /// The consumer's minimum SLA is what it was shown; now and then it asks for more, or sends a
    /// small-order key.
    function _order(
        address consumer,
        uint256 resourceId,
        uint256 hoursSeed,
        uint256 tokenSeed,
        uint256 extraSeed
    ) private returns (Order memory order) {
        IResourceMarketplace.Resource memory resource = marketplace.getResource(resourceId);
        order.consumer = consumer;
        order.provider = resource.provider;
        order.resourceId = resourceId;
        order.token = _acceptedToken(resource.acceptedTokens, tokenSeed);
        order.hoursBooked = uint16(_bound(hoursSeed, resource.minHours, resource.maxHours));
        uint256 usdValueE8 = uint256(resource.pricePerHourUsdE8) * order.hoursBooked;
        (order.amount, ) = priceOracle.quote(order.token, usdValueE8);
        order.offered = _offeredTerms(resourceId);
        // A copy: memory structs are assigned by reference.
        order.minimum = IResourceMarketplace.SlaTerms(order.offered.uptimeTargetBps, order.offered.maxLatencyMs);
        order.tooStrict = extraSeed % 16 == 1;
        if (order.tooStrict) ++order.minimum.uptimeTargetBps;
        order.badKey = extraSeed % 16 == 2;
        order.covered = _bondCovers(resource.provider, usdValueE8);

        // Overpaying in ETH must be refunded: send up to one ether too much.
        if (order.token == address(0)) {
            order.value = order.amount + _bound(extraSeed >> 8, 0, 1 ether);
            vm.deal(consumer, consumer.balance + order.value);
        } else {
            MockERC20(order.token).mint(consumer, order.amount);
        }
    }

    /// @dev What the handler knows a new booking was made with: the SLA terms and credit policy in
    /// force just before this second, and the deadline under the timeout in force then.
    function _recordBooking(uint256 bookingId, Order memory order) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        ghost.token = order.token;
        ghost.consumer = order.consumer;
        ghost.provider = order.provider;
        ghost.resourceId = order.resourceId;
        ghost.deposit = order.amount;
        ghost.uptimeTargetBps = order.offered.uptimeTargetBps;
        ghost.maxLatencyMs = order.offered.maxLatencyMs;
        ghost.creditPolicy = policyChangedAt == currentTime ? policyBefore : policyNow;
        ghost.deadline = currentTime + (currentTime > timeoutChangedAt ? timeoutNow : timeoutBefore);
    }

    /// @dev The escrow holds what the marketplace booked: same provider, amount and token.
    function _checkAgreement(uint256 bookingId) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        IEscrowManager.Deposit memory deposit = escrow.depositOf(bookingId);
        IResourceMarketplace.Booking memory booking = marketplace.getBooking(bookingId);
        if (
            deposit.provider != ghost.provider ||
            deposit.amount != ghost.deposit ||
            booking.consumer != ghost.consumer ||
            booking.resourceId != ghost.resourceId ||
            priceOracle.tokenAddress(booking.tokenId) != ghost.token
        ) _violation("book: marketplace and escrow disagree on the booking");
    }

    function _confirm(uint256 bookingId, uint256 seed) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        uint256 count = _signerCount(seed);
        bytes[] memory signatures = _signStatement(
            keccak256(abi.encode(PROVISIONING_TYPEHASH, bookingId, ghost.consumer, keccak256(bytes(CID)))),
            count,
            seed >> 8
        );
        bool inTime = currentTime <= ghost.deadline;
        bool quorate = count >= sla.quorum();
        uint16 hoursBooked = marketplace.getBooking(bookingId).hoursBooked;

        vm.prank(_anyone(seed >> 16));
        try marketplace.confirmProvisioning(bookingId, CID, signatures) {
            if (!inTime) _violation("confirm: accepted after the provisioning deadline");
            if (!quorate) _violation("confirm: accepted without a quorum of oracles");
            IEscrowManager.Stream memory stream = escrow.streamOf(bookingId);
            if (stream.startedAt != currentTime || stream.endsAt != currentTime + uint256(hoursBooked) * 1 hours) {
                _violation("confirm: stream does not cover the booked hours from now");
            }
            ++stats.confirmed;
        } catch {
            _dropLogs();
            if (inTime && quorate) _violation("confirm: a quorum's confirmation refused before the deadline");
        }
    }

    function _cancel(uint256 bookingId, address caller) private {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        bool timedOut = currentTime > ghost.deadline;
        uint256 fee = 0;
        if (!timedOut) {
            (uint16 feeBps, uint32 freeSeconds) = marketplace.cancellationPolicy();
            uint256 requestedAt = marketplace.getBooking(bookingId).requestedAt;
            if (currentTime > requestedAt + freeSeconds) fee = (ghost.deposit * feeBps) / BPS;
        }
        uint256 slash = timedOut ? _sameTokenSlash(bookingId) : 0;
        uint256 owedBefore = escrow.owed(ghost.consumer, ghost.token);
        uint256 providerOwedBefore = escrow.owed(ghost.provider, ghost.token);

        vm.prank(caller);
        try marketplace.cancelBooking(bookingId) {
            if (escrow.owed(ghost.consumer, ghost.token) - owedBefore != ghost.deposit - fee + slash) {
                _violation("cancel: consumer not credited the deposit less the fee, plus the slash");
            }
            if (escrow.owed(ghost.provider, ghost.token) - providerOwedBefore != fee) {
                _violation("cancel: provider not credited the cancellation fee");
            }
            if (timedOut) ++stats.timedOut;
            else ++stats.cancelled;
            if (fee != 0) ++stats.cancellationFees;
        } catch {
            _dropLogs();
            _violation("cancel: a cancellable booking could not be cancelled");
        }
    }

    /// @dev What a slash takes from the bond in the booking's own token: a share of the deposit,
    /// bonded funds first and then funds still unbonding, as far as they go. The rest comes from
    /// other bond tokens (checked in USD by the invariant suites).
    function _sameTokenSlash(uint256 bookingId) private view returns (uint256) {
        BookingGhost storage ghost = bookingGhosts[bookingId];
        IEscrowManager.Bond memory bond = escrow.bondOf(ghost.provider, ghost.token);
        uint256 wanted = (ghost.deposit * escrow.settings().bondSlashBps) / BPS;
        uint256 available = uint256(bond.amount) + bond.unbonding;
        return wanted < available ? wanted : available;
    }

    /// @dev Whether the provider's bonds cover the minimum share of its active bookings plus one
    /// worth `usdValueE8`, valued at the feeds' last answers (the handler's own arithmetic).
    function _bondCovers(address provider, uint256 usdValueE8) private view returns (bool) {
        uint256 coverageBps = marketplace.bondCoverage();
        if (coverageBps == 0) return true;
        uint256 bondUsd = 0;
        uint256 activeUsd = 0;
        for (uint256 t = 0; t < tokens.length; ++t) {
            if (!_priced(t)) continue;
            bondUsd += _usd(t, escrow.bondOf(provider, tokens[t]).amount);
            activeUsd += _usd(t, activeValueGhost[provider][tokens[t]]);
        }
        return bondUsd >= ((activeUsd + usdValueE8) * coverageBps) / BPS;
    }

    /// @dev The SLA a consumer is shown and gets: the terms in force just before this second.
    function _offeredTerms(uint256 resourceId) private view returns (IResourceMarketplace.SlaTerms memory) {
        ResourceGhost storage ghost = resourceGhosts[resourceId];
        if (ghost.changedAt == currentTime) {
            return IResourceMarketplace.SlaTerms(ghost.uptimeBeforeBps, ghost.latencyBeforeMs);
        }
        return IResourceMarketplace.SlaTerms(ghost.uptimeTargetBps, ghost.maxLatencyMs);
    }

    function _findBookableResource(uint256 seed) private view returns (uint256) {
        uint256 count = marketplace.resourceCount();
        uint256 start = seed % count;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ((start + i) % count) + 1;
            IResourceMarketplace.Resource memory resource = marketplace.getResource(id);
            if (
                resource.status == IResourceMarketplace.ResourceStatus.Listed &&
                resource.activeBookings < resource.capacity
            ) return id;
        }
        return 0;
    }

    function _acceptedToken(uint64 mask, uint256 seed) private view returns (address) {
        for (uint256 i = 0; i < tokens.length; ++i) {
            uint256 t = (seed + i) % tokens.length;
            if ((mask >> t) & 1 == 1) return tokens[t];
        }
        return tokens[0];
    }

    function _isTerminable(uint256 id) private view returns (bool) {
        return _isActive(id) && currentTime < escrow.streamOf(id).endsAt;
    }

    function _isCompleted(uint256 id) private view returns (bool) {
        return marketplace.getBooking(id).status == IResourceMarketplace.BookingStatus.Completed;
    }
}
