// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResourceMarketplace} from "../../contracts/interfaces/IResourceMarketplace.sol";
import {CoreDeployment} from "../invariant/CoreDeployment.sol";

/// @title Extensions, renewals and resumes conserve value
/// @notice A booking extended up to three times, each time at another price, by its consumer or by
/// a stranger renewing it under the consumer's policy, before its end or in its grace (a resume),
/// then terminated at a random moment or run to its end, in ETH, an 18-decimal and a 6-decimal
/// token. Written down first:
/// 1. Each extension streams after the end it extended, at its own rate, or from the resume when
///    it came in the grace (the gap streams nothing): what a termination refunds is, piece by
///    piece, exactly the unstreamed value of each piece (computed here, not read from the escrow).
/// 2. What streamed before an extension never changes: the provider's withdrawable value just
///    before and just after an extension is the same.
/// 3. Conservation: once everyone has withdrawn and claimed, the escrow holds nothing; the provider
///    got what streamed less the fee, the treasury the fee, the consumer the rest; nobody is owed.
/// 4. A renewal never exceeds the policy: its hours are the policy's, its price at most the
///    policy's maximum, and the budget shrinks by exactly what the consumer paid.
contract ExtensionConservationTest is CoreDeployment {
    bytes32 private constant PROVISIONING_TYPEHASH = keccak256(
        "Provisioning(uint256 bookingId,address consumer,string accessDetailsCid)"
    );
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant ENCRYPTION_KEY = 0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170;
    string private constant CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    uint64 private constant PRICE_E8 = 150_000_000;
    uint32 private constant GRACE_SECONDS = 600;
    uint16 private constant RENEWAL_HOURS = 2;
    uint64 private constant MAX_RENEWAL_PRICE_E8 = 600_000_000;

    address private provider = makeAddr("provider");
    address private consumer = makeAddr("consumer");
    uint256 private resourceId;
    // The booking under test.
    address private token;
    uint256 private bookingId;
    uint256 private startedAt;
    uint256 private paid;
    Piece[] private pieces;

    /// @dev A piece of the stream: from `offset`, `value` streams over `seconds_`.
    struct Piece {
        uint256 offset;
        uint256 value;
        uint256 seconds_;
    }

    function setUp() public {
        _deployCore();
        vm.prank(admin);
        escrow.setGracePeriod(GRACE_SECONDS);
        vm.prank(provider);
        marketplace.registerProvider(CID);
        vm.prank(provider);
        resourceId = marketplace.listResource(
            IResourceMarketplace.ResourceParams({
                metadataCid: CID,
                region: "eu-west-1",
                kind: IResourceMarketplace.ResourceKind.VirtualMachine,
                terms: _terms(PRICE_E8)
            })
        );
    }

    function testFuzz_extensionsConserveValue(
        uint256 tokenSeed,
        uint256 hoursSeed,
        uint256[3] calldata priceSeeds,
        uint256[3] calldata waitSeeds,
        uint256 endSeed
    ) public {
        token = [address(0), address(dai), address(usdc)][tokenSeed % 3];
        uint256 held = _balanceOf(token, address(escrow));
        uint256 consumerBefore = _balanceOf(token, consumer);
        _book(uint16(bound(hoursSeed, 1, 4)));
        vm.prank(consumer);
        renewals.setRenewalPolicy(bookingId, RENEWAL_HOURS, MAX_RENEWAL_PRICE_E8, type(uint128).max);
        for (uint256 k = 0; k < 3; ++k) _extend(waitSeeds[k], priceSeeds[k]);
        assertEq(_streamedAt(type(uint256).max), paid);

        uint256 streamed = _end(endSeed);
        vm.warp(block.timestamp + REPORT_WINDOW_SECONDS + SLA_PERIOD_SECONDS);
        assertEq(escrow.withdrawable(bookingId), streamed, "provider's share is not what streamed");
        uint256 providerBefore = _balanceOf(token, provider);
        vm.prank(provider);
        escrow.withdrawEarnings(bookingId);
        uint256 fee = (streamed * PROTOCOL_FEE_BPS) / 10_000;
        assertEq(_balanceOf(token, provider) - providerBefore, streamed - fee);
        if (paid > streamed) {
            vm.prank(consumer);
            escrow.claim(token);
        }
        if (fee != 0) {
            vm.prank(treasury);
            escrow.claim(token);
        }
        assertEq(_balanceOf(token, address(escrow)), held, "escrow kept or lost value");
        // Funded with exactly what each payment cost, the consumer is left with the refund.
        assertEq(
            _balanceOf(token, consumer) - consumerBefore,
            paid - streamed,
            "consumer paid other than what streamed"
        );
        assertEq(escrow.owed(consumer, token) + escrow.owed(treasury, token), 0);
        assertEq(escrow.activeValueOf(provider, token), 0);
    }

    /// @dev Some time before the booking's end, or in its grace (one time in three), the provider
    /// sets a new price and the consumer extends by 1–3 hours at it, or (one time in three) a
    /// stranger renews it under the consumer's policy. What streamed so far must not change.
    function _extend(uint256 waitSeed, uint256 priceSeed) private {
        uint256 endsAt = escrow.streamOf(bookingId).endsAt;
        bool renewal = (waitSeed >> 128) % 3 == 0;
        if ((waitSeed >> 64) % 3 == 0) {
            vm.warp(bound(waitSeed, endsAt, endsAt + GRACE_SECONDS - 1));
        } else {
            // A renewal waits for the window: the last RENEWAL_HOURS hours at most.
            uint256 earliest =
                renewal ? endsAt - _min(endsAt - block.timestamp, RENEWAL_WINDOW_SECONDS) : block.timestamp;
            vm.warp(bound(waitSeed, earliest, endsAt - 1));
        }
        vm.prank(provider);
        marketplace.updateResourceTerms(resourceId, _terms(uint64(bound(priceSeed, 10_000_000, 900_000_000))));
        uint256 withdrawableBefore = escrow.withdrawable(bookingId);
        uint16 extraHours = renewal ? RENEWAL_HOURS : uint16(1 + (priceSeed % 3));
        uint256 amount = _quote(extraHours);
        if (renewal) {
            _renew(amount);
        } else {
            vm.prank(consumer);
            marketplace.extendBooking{value: token == address(0) ? amount : 0}(
                bookingId,
                extraHours,
                token,
                amount,
                _sla()
            );
        }
        assertEq(escrow.withdrawable(bookingId), withdrawableBefore, "an extension changed what streamed");
        // From the old end, or from the resume when the old end had passed.
        uint256 from = block.timestamp > endsAt ? block.timestamp : endsAt;
        pieces.push(Piece(from - startedAt, amount, uint256(extraHours) * 1 hours));
        assertEq(escrow.streamOf(bookingId).endsAt, from + uint256(extraHours) * 1 hours, "wrong new end");
        paid += amount;
    }

    /// @dev A stranger renews the booking, which the consumer funded with `amount`; the renewal
    /// stays within the policy.
    function _renew(uint256 amount) private {
        uint128 budgetBefore = renewals.renewalPolicy(bookingId).budget;
        bool priced = marketplace.getResource(resourceId).pricePerHourUsdE8 <= MAX_RENEWAL_PRICE_E8;
        if (token == address(0)) {
            vm.prank(consumer);
            renewals.depositRenewalBalance{value: amount}();
        }
        vm.prank(makeAddr("stranger"));
        bool renewed = renewals.renew(bookingId);
        assertEq(renewed, priced, "renewed above the policy's price, or refused within it");
        if (!renewed) {
            // Above the policy's price: the consumer extends instead.
            if (token == address(0)) {
                vm.prank(consumer);
                renewals.withdrawRenewalBalance(amount);
            }
            vm.prank(consumer);
            marketplace.extendBooking{value: token == address(0) ? amount : 0}(
                bookingId,
                RENEWAL_HOURS,
                token,
                amount,
                _sla()
            );
            return;
        }
        assertEq(budgetBefore - renewals.renewalPolicy(bookingId).budget, amount, "budget not charged the renewal");
        assertEq(renewals.renewalBalance(consumer), 0, "renewal balance not charged");
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev Terminates the booking at a random moment, or runs it to its end; returns what streamed.
    function _end(uint256 endSeed) private returns (uint256 streamed) {
        uint256 finalEnd = escrow.streamOf(bookingId).endsAt;
        if (endSeed % 2 == 1) {
            // In the grace only the consumer completes; after it, anyone.
            vm.warp(finalEnd + (endSeed % 4 == 1 ? 0 : GRACE_SECONDS));
            vm.prank(endSeed % 4 == 1 ? consumer : provider);
            marketplace.completeBooking(bookingId);
            return paid;
        }
        vm.warp(bound(endSeed, block.timestamp, finalEnd - 1));
        streamed = _streamedAt(block.timestamp - startedAt);
        vm.prank(consumer);
        marketplace.terminateBooking(bookingId);
        assertEq(escrow.owed(consumer, token), paid - streamed, "refund is not the unstreamed value");
    }

    /// @dev Value streamed `offset` seconds after the start: each piece linear over its own time.
    function _streamedAt(uint256 offset) private view returns (uint256 total) {
        for (uint256 i = 0; i < pieces.length; ++i) {
            Piece memory piece = pieces[i];
            if (offset <= piece.offset) break;
            uint256 elapsed = offset - piece.offset;
            total += elapsed >= piece.seconds_ ? piece.value : (piece.value * elapsed) / piece.seconds_;
        }
    }

    /// @dev Books `hoursBooked` and has a quorum of the oracles confirm provisioning.
    function _book(uint16 hoursBooked) private {
        paid = _quote(hoursBooked);
        vm.prank(consumer);
        bookingId = marketplace.book{value: token == address(0) ? paid : 0}(
            resourceId,
            hoursBooked,
            token,
            paid,
            _sla(),
            ENCRYPTION_KEY
        );
        (, string memory name, string memory version, uint256 chainId, address verifying, , ) = sla.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)
        );
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                domain,
                keccak256(abi.encode(PROVISIONING_TYPEHASH, bookingId, consumer, keccak256(bytes(CID))))
            )
        );
        bytes[] memory signatures = new bytes[](2);
        address[2] memory signers = [vm.addr(oracleKeys[0]), vm.addr(oracleKeys[1])];
        uint256[2] memory keys =
            signers[0] < signers[1] ? [oracleKeys[0], oracleKeys[1]] : [oracleKeys[1], oracleKeys[0]];
        for (uint256 i = 0; i < 2; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            signatures[i] = abi.encodePacked(r, s, v);
        }
        marketplace.confirmProvisioning(bookingId, CID, signatures);
        startedAt = escrow.streamOf(bookingId).startedAt;
        pieces.push(Piece(0, paid, uint256(hoursBooked) * 1 hours));
    }

    /// @dev The SLA the consumer was shown: the resource's.
    function _sla() private pure returns (IResourceMarketplace.SlaTerms memory) {
        return IResourceMarketplace.SlaTerms(9_950, 250);
    }

    /// @dev The price of `hoursBooked` now, with the consumer funded for it.
    function _quote(uint16 hoursBooked) private returns (uint256 amount) {
        uint256 priceE8 = marketplace.getResource(resourceId).pricePerHourUsdE8;
        (amount, ) = priceOracle.quote(token, priceE8 * hoursBooked);
        if (token == address(0)) {
            vm.deal(consumer, consumer.balance + amount);
        } else {
            vm.prank(consumer);
            dai.approve(address(escrow), type(uint256).max);
            vm.prank(consumer);
            usdc.approve(address(escrow), type(uint256).max);
            if (token == address(dai)) dai.mint(consumer, amount);
            else usdc.mint(consumer, amount);
        }
    }

    function _terms(uint64 priceE8) private view returns (IResourceMarketplace.ResourceTerms memory) {
        address[] memory tokens = new address[](3);
        (tokens[0], tokens[1], tokens[2]) = (address(0), address(dai), address(usdc));
        return
            IResourceMarketplace.ResourceTerms({
                pricePerHourUsdE8: priceE8,
                capacity: 5,
                minHours: 1,
                maxHours: 24,
                uptimeTargetBps: 9_950,
                maxLatencyMs: 250,
                acceptedTokens: tokens
            });
    }

    function _balanceOf(address asset, address account) private view returns (uint256) {
        return asset == address(0) ? account.balance : (asset == address(dai) ? dai : usdc).balanceOf(account);
    }
}
