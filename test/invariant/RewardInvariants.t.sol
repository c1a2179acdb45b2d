// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDCXToken} from "../../contracts/interfaces/IDCXToken.sol";
import {RewardDeployment} from "./RewardDeployment.sol";
import {RewardHandler, RewardStats} from "./handlers/RewardHandler.sol";

/// @title Reward invariants: DCX supply, reward accounting and votes
/// @notice DCX and the reward distributor behind real ERC-1967 proxies, with a real reputation
/// system and a real price oracle pricing DCX at $0.50; the handler (see RewardHandler) records service for three providers as SLA enforcement
/// would, changes their reputations, moves time across epochs, claims, transfers and delegates DCX
/// between every account of the run, and changes the emission rate as the DAO. The cap leaves room
/// for only a few epochs at the highest rates, so runs reach it. After every call:
///
/// 1. Cap. The total supply never exceeds the cap, and it is the initial allocations plus what
///    providers claimed (the distributor is the only minter).
/// 2. Conservation of tokens. The balances of all accounts that can hold DCX add up to the total
///    supply: no mint, transfer or claim creates or loses a token.
/// 3. Rewards are covered. What has been claimed plus what every provider can claim now plus what
///    fee caps forfeited never exceeds what epochs have emitted, and epochs never emit more than
///    the cap leaves after the initial supply; each epoch's emission is rate × length, clamped to
///    that room (forfeited emission freed again), fixed when the epoch opens.
/// 4. Rewards never exceed the fees that paid for them: what each provider claimed and can claim
///    is at most `rewardPerFeeBps` (k ≤ 1) of the protocol fees on its rewarded service, in DCX at
///    the price when it was recorded; so wash trading, which burns at least that fee, never pays.
/// 5. Votes are backed. The votes of all delegates add up to the balances of the accounts that
///    delegated (none to the zero address), so they never exceed the total supply.
/// 6. Every action behaves as specified, which the handler checks as it goes: recording adds the
///    reputation-weighted points and the fee cap, claims mint exactly what was claimable (and revert with nothing
///    to claim), transfers and delegations move votes, and only the recorder, the DAO and the
///    distributor can record, set the rate and mint.
contract RewardInvariants is RewardDeployment {
    uint256 internal constant CAP = 1_000_000e18;
    uint256 internal constant TREASURY_ALLOCATION = 250_000e18;
    uint256 internal constant HOLDER_ALLOCATION = 50_000e18;
    uint32 internal constant EPOCH_SECONDS = 1 hours;
    uint256 internal constant INITIAL_RATE = 10e18;
    uint16 internal constant REWARD_PER_FEE_BPS = 5_000;
    int256 internal constant DCX_PRICE_E8 = 0.5e8;

    RewardHandler internal handler;
    uint256 internal initialSupply;

    function setUp() public {
        address[4] memory holders = [treasury, makeAddr("holder1"), makeAddr("holder2"), makeAddr("holder3")];
        IDCXToken.Allocation[] memory allocations = new IDCXToken.Allocation[](holders.length);
        for (uint256 i = 0; i < holders.length; ++i) {
            allocations[i] = IDCXToken.Allocation({
                to: holders[i],
                amount: i == 0 ? TREASURY_ALLOCATION : HOLDER_ALLOCATION
            });
        }

        _deployRewards(CAP, allocations, DCX_PRICE_E8, EPOCH_SECONDS, INITIAL_RATE, REWARD_PER_FEE_BPS);
        initialSupply = dcx.totalSupply();

        handler = RewardHandler(
            _deployArtifact(
                "test/invariant/handlers/RewardHandler.sol:RewardHandler",
                abi.encode(address(dcx), address(rewards), address(reputation), admin, holders)
            )
        );
        vm.startPrank(admin);
        rewards.grantRole(rewards.RECORDER_ROLE(), address(handler));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(handler));
        vm.stopPrank();
        // Two holders vote from the start, as the demo accounts of a local deployment do.
        vm.prank(holders[0]);
        dcx.delegate(holders[0]);
        vm.prank(holders[1]);
        dcx.delegate(holders[1]);

        vm.label(address(dcx), "DCXToken");
        vm.label(address(rewards), "RewardDistributor");
        vm.label(address(reputation), "ReputationSystem");
        vm.label(address(handler), "RewardHandler");

        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = RewardHandler.recordService.selector;
        selectors[1] = RewardHandler.claim.selector;
        selectors[2] = RewardHandler.updateReputation.selector;
        selectors[3] = RewardHandler.setEmissionRate.selector;
        selectors[4] = RewardHandler.outsiderAttempts.selector;
        selectors[5] = RewardHandler.transfer.selector;
        selectors[6] = RewardHandler.delegate.selector;
        selectors[7] = RewardHandler.warp.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_supplyWithinCap() public {
        _syncClock();
        assertLe(dcx.totalSupply(), dcx.cap(), "supply above the cap");
        assertEq(dcx.totalSupply(), initialSupply + rewards.totalClaimed(), "supply other than allocations + claims");
    }

    function invariant_balancesAddUpToSupply() public {
        _syncClock();
        address[] memory accounts = handler.allAccounts();
        uint256 sum = 0;
        for (uint256 i = 0; i < accounts.length; ++i) sum += dcx.balanceOf(accounts[i]);
        assertEq(sum, dcx.totalSupply(), "balances do not add up to the supply");
    }

    function invariant_rewardsAreCovered() public {
        _syncClock();
        address[] memory providers = handler.allProviders();
        uint256 claimable = 0;
        for (uint256 i = 0; i < providers.length; ++i) {
            claimable += rewards.claimable(providers[i]);
        }
        uint256 emitted = rewards.totalEmitted();
        assertLe(
            rewards.totalClaimed() + claimable + rewards.totalForfeited(),
            emitted,
            "claimed + claimable + forfeited above the emission"
        );
        assertLe(
            emitted - rewards.totalForfeited(),
            dcx.cap() - initialSupply,
            "emission still payable above what the cap leaves"
        );
        assertEq(emitted, handler.ghostEmitted(), "emission differs from the epochs' expected emissions");
        assertEq(rewards.totalClaimed(), handler.ghostTotalClaimed(), "claimed differs from the claims seen");
    }

    function invariant_rewardsNeverExceedTheFees() public {
        _syncClock();
        address[] memory providers = handler.allProviders();
        for (uint256 i = 0; i < providers.length; ++i) {
            assertLe(
                handler.ghostClaimed(providers[i]) + rewards.claimable(providers[i]),
                handler.ghostCapDcx(providers[i]),
                "a provider's rewards exceed k times its fees"
            );
        }
        assertLe(rewards.totalClaimed(), handler.ghostTotalCapDcx(), "rewards claimed exceed k times the fees");
    }

    function invariant_votesAreBacked() public {
        _syncClock();
        address[] memory accounts = handler.allAccounts();
        uint256 votes = 0;
        uint256 delegated = 0;
        for (uint256 i = 0; i < accounts.length; ++i) {
            votes += dcx.getVotes(accounts[i]);
            if (dcx.delegates(accounts[i]) != address(0)) delegated += dcx.balanceOf(accounts[i]);
        }
        assertEq(votes, delegated, "votes differ from the delegated balances");
        assertLe(votes, dcx.totalSupply(), "more votes than tokens");
    }

    function invariant_actionsBehaveAsSpecified() public view {
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @dev The invariant checks are not vacuous: a token minted outside the run's accounts is caught.
    function test_balanceCheckCatchesAStrayMint() public {
        invariant_balancesAddUpToSupply();
        vm.prank(address(rewards));
        dcx.mint(makeAddr("stranger"), 1);
        vm.expectRevert();
        this.invariant_balancesAddUpToSupply();
    }

    /// @dev ...and so is an emission beyond what the cap leaves (totalEmitted is the fifth word of
    /// the distributor's storage struct).
    function test_coverageCheckCatchesAnOverEmission() public {
        invariant_rewardsAreCovered();
        bytes32 base = 0xa0e59dd1365859a23c122844d326fbc6a895344047045a32fd63885cdac0d300;
        bytes32 slot = bytes32(uint256(base) + 4);
        assertEq(uint256(vm.load(address(rewards), slot)), rewards.totalEmitted(), "totalEmitted slot");
        vm.store(address(rewards), slot, bytes32(CAP - initialSupply + 1));
        vm.expectRevert();
        this.invariant_rewardsAreCovered();
    }

    /// @dev A fixed walk through every action, so that a handler that silently did nothing would
    /// fail here rather than let the invariants pass vacuously. High rates exhaust the cap; fee caps
    /// leave part of every epoch unpaid.
    function test_handlerReachesEveryAction() public {
        handler.updateReputation(0, 100, 0);
        handler.recordService(0, 0x100 * 500e8 + 1, 2_000);
        handler.recordService(1, 0x100 * 200e8 + 1, 2_000);
        handler.recordService(2, 0, 2_000); // worth no points
        handler.transfer(0, 1, 1_000e18);
        handler.delegate(2, 3);
        handler.delegate(4, 4);
        handler.warp(0x100 * 3_000); // within the epoch
        handler.claim(0); // nothing yet
        handler.warp(0x100 * 3_600 * 2); // across epochs
        handler.claim(0);
        handler.claim(1);
        handler.setEmissionRate(0x100 * 90e18 + 1);
        handler.setEmissionRate(10); // above the maximum
        // Epochs in a row before anyone claims: what they still owe leaves no room for the third.
        for (uint256 i = 0; i < 4; ++i) {
            handler.recordService(i, 0x100 * 10_000e8 + 1, 2_000);
            handler.updateReputation(i, 10, i);
            handler.warp(0x100 * 3_600 * 3);
        }
        for (uint256 i = 0; i < 4; ++i) handler.claim(i);
        handler.transfer(4, 0, 10_000e18); // a provider sends its rewards to the treasury
        handler.outsiderAttempts(7);

        RewardStats memory stats = handler.statistics();
        assertEq(handler.violations(), 0, handler.firstViolation());
        assertGt(stats.servicesRecorded, 5, "services recorded");
        assertGt(stats.epochsOpened, 3, "epochs opened");
        assertGt(stats.epochsClamped, 0, "epochs clamped by the cap");
        assertGt(stats.claims, 3, "claims");
        assertGt(stats.emptyClaims, 0, "empty claims");
        assertEq(stats.transfers, 2, "transfers");
        assertEq(stats.delegations, 2, "delegations");
        assertEq(stats.rateChanges, 1, "rate changes");
        assertGt(stats.epochsCrossed, 3, "epochs crossed");
        assertGt(rewards.totalForfeited(), 0, "fee caps left emission unpaid");
        invariant_supplyWithinCap();
        invariant_balancesAddUpToSupply();
        invariant_rewardsAreCovered();
        invariant_votesAreBacked();
    }

    function _syncClock() private {
        vm.warp(handler.currentTime());
    }
}
