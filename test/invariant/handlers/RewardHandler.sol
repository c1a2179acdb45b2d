// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {ReputationSystem} from "../../../contracts/core/ReputationSystem.sol";
import {IPriceOracle} from "../../../contracts/interfaces/IPriceOracle.sol";
import {IRewardDistributor} from "../../../contracts/interfaces/IRewardDistributor.sol";
import {PriceMath} from "../../../contracts/libraries/PriceMath.sol";
import {DCXToken} from "../../../contracts/token/DCXToken.sol";
import {RewardDistributor} from "../../../contracts/token/RewardDistributor.sol";

/// @notice How many times each action did what it set out to do, to show that runs go deep.
struct RewardStats {
    uint256 servicesRecorded;
    uint256 epochsOpened;
    uint256 epochsClamped;
    uint256 claims;
    uint256 emptyClaims;
    uint256 transfers;
    uint256 delegations;
    uint256 rateChanges;
    uint256 reputationUpdates;
    uint256 epochsCrossed;
}

/// @title RewardHandler
/// @notice Drives DCX and the reward distributor: SLA enforcement (this handler holds RECORDER_ROLE)
/// records service of random value, with the protocol fee paid on it, for three providers whose
/// reputations change; time passes across epochs, providers claim, DCX moves between holders and
/// their votes are delegated, and the DAO changes the emission rate and the reward-per-fee ratio. Each action checks what it can know exactly and records a
/// violation instead of reverting, since reverts are ignored by the invariant runner.
contract RewardHandler is CommonBase, StdUtils {
    uint256 public constant PROVIDERS = 3;
    uint256 public constant HOLDERS = 4;
    uint256 private constant BPS = 10_000;
    /// @dev Rates up to this make an epoch's emission larger than what the cap leaves, now and then.
    uint256 private constant MAX_TEST_RATE = 100e18;
    uint256 private constant MAX_RATE_PER_SECOND = 1e24;

    DCXToken public dcx;
    RewardDistributor public rewards;
    ReputationSystem public reputation;
    address public admin;
    uint256 public epochSeconds;
    uint256 public initialSupply;

    /// @dev Accounts that can hold DCX: the initial holders, then the providers (who get it by claiming).
    address[HOLDERS] public holders;
    address[PROVIDERS] public providers;
    address public outsider;

    /// @dev The clock of the run. The handler never reads block.timestamp after start: the runner may
    /// reset it between calls.
    uint256 public currentTime;

    /// @dev Points recorded in each epoch and whether it has opened, as the handler predicts them.
    mapping(uint256 epoch => uint256) public ghostEpochPoints;
    mapping(uint256 epoch => bool) public ghostEpochOpened;
    mapping(address provider => uint256) public ghostClaimed;
    /// @dev The most each provider's rewards may be worth: `rewardPerFeeBps` of the fees of its
    /// rewarded service, in DCX at the price when it was recorded.
    mapping(address provider => uint256) public ghostCapDcx;
    uint256 public ghostTotalCapDcx;
    uint256 public ghostEmitted;
    uint256 public ghostTotalClaimed;
    RewardStats private stats;

    uint256 public violations;
    string public firstViolation;

    modifier step() {
        vm.warp(currentTime);
        _;
    }

    constructor(
        DCXToken dcx_,
        RewardDistributor rewards_,
        ReputationSystem reputation_,
        address admin_,
        address[HOLDERS] memory holders_
    ) {
        dcx = dcx_;
        rewards = rewards_;
        reputation = reputation_;
        admin = admin_;
        holders = holders_;
        epochSeconds = rewards_.epochSeconds();
        initialSupply = dcx_.totalSupply();
        currentTime = block.timestamp;
        for (uint256 i = 0; i < PROVIDERS; ++i) {
            providers[i] = vm.addr(0x5000 + i);
            vm.label(providers[i], string.concat("provider", vm.toString(i)));
        }
        outsider = vm.addr(0x6000);
        vm.label(outsider, "outsider");
    }

    // ---------------------------------------------------------------------------------------------
    // Rewards
    // ---------------------------------------------------------------------------------------------

    /// @dev SLA enforcement records compliant service worth up to $10,000 (now and then a few
    /// millionths of a cent, worth no points at all) with a protocol fee of up to 20 % on it (now and
    /// then none, which earns nothing).
    function recordService(uint256 providerSeed, uint256 usdSeed, uint256 feeSeed) external step {
        address provider = providers[providerSeed % PROVIDERS];
        uint256 usdE8 = usdSeed % 8 == 0 ? _bound(usdSeed >> 8, 0, 2) : _bound(usdSeed >> 8, 1, 10_000e8);
        uint256 feeUsdE8 = feeSeed % 8 == 7 ? 0 : (usdE8 * _bound(feeSeed, 1, 2_000)) / BPS;
        uint256 epoch = _epochNow();
        uint256 points = (usdE8 * (BPS + reputation.scoreOf(provider))) / (2 * BPS);
        uint256 capDcx = _capDcx(feeUsdE8);
        bool earns = points != 0 && capDcx != 0;
        uint256 expectedEmission = ghostEpochOpened[epoch] || !earns ? 0 : _expectedEmission();
        uint256 emittedBefore = rewards.totalEmitted();

        try rewards.recordService(provider, usdE8, feeUsdE8) {
            if (!earns) {
                if (rewards.totalEmitted() != emittedBefore) _violation("record: no points, yet the emission changed");
                return;
            }
            ghostCapDcx[provider] += capDcx;
            ghostTotalCapDcx += capDcx;
            if (!ghostEpochOpened[epoch]) {
                ghostEpochOpened[epoch] = true;
                ghostEmitted += expectedEmission;
                ++stats.epochsOpened;
                if (expectedEmission < rewards.emissionRate() * epochSeconds) ++stats.epochsClamped;
            }
            ghostEpochPoints[epoch] += points;
            IRewardDistributor.Epoch memory state = rewards.epochOf(epoch);
            if (state.points != ghostEpochPoints[epoch]) _violation("record: epoch points differ from the sum");
            if (rewards.totalEmitted() != ghostEmitted)
                _violation("record: emission differs from rate x epoch or the cap");
            ++stats.servicesRecorded;
        } catch {
            _violation("record: the recorder could not record service");
        }
    }

    /// @dev A provider claims; with nothing claimable the claim must revert.
    function claim(uint256 providerSeed) external step {
        address provider = providers[providerSeed % PROVIDERS];
        uint256 expected = rewards.claimable(provider);
        uint256 balanceBefore = dcx.balanceOf(provider);
        vm.prank(provider);
        try rewards.claim() returns (uint256 amount) {
            if (expected == 0) _violation("claim: paid with nothing claimable");
            if (amount != expected || dcx.balanceOf(provider) - balanceBefore != expected) {
                _violation("claim: minted other than what was claimable");
            }
            if (rewards.claimable(provider) != 0) _violation("claim: rewards left after claiming");
            ghostClaimed[provider] += amount;
            ghostTotalClaimed += amount;
            ++stats.claims;
        } catch {
            if (expected != 0) _violation("claim: could not claim what was claimable");
            ++stats.emptyClaims;
        }
    }

    /// @dev A provider's reputation changes, which weights its later service.
    function updateReputation(uint256 providerSeed, uint256 compliantSeed, uint256 violatedSeed) external step {
        address provider = providers[providerSeed % PROVIDERS];
        uint32 compliant = uint32(_bound(compliantSeed, 0, 200));
        uint32 violated = uint32(_bound(violatedSeed, 0, violatedSeed % 3 == 0 ? 50 : 5));
        reputation.recordPeriods(
            provider,
            compliant,
            violated,
            uint64(violated) * 1_000,
            uint256(compliant) * 1e8,
            uint256(violated) * 1e8
        );
        ++stats.reputationUpdates;
    }

    /// @dev The DAO sets the emission rate; now and then above the maximum, which must be refused.
    function setEmissionRate(uint256 rateSeed) external step {
        bool valid = rateSeed % 10 != 0;
        uint256 rate =
            valid
                ? _bound(rateSeed >> 8, 0, MAX_TEST_RATE)
                : _bound(rateSeed >> 8, MAX_RATE_PER_SECOND + 1, type(uint128).max);
        vm.prank(admin);
        try rewards.setEmissionRate(rate) {
            if (!valid) _violation("rate: accepted a rate above the maximum");
            if (rewards.emissionRate() != rate) _violation("rate: not applied");
            ++stats.rateChanges;
        } catch {
            if (valid) _violation("rate: refused a valid rate");
        }
    }

    /// @dev Nobody but the recorder, the DAO and the distributor can record, set the rate or mint.
    function outsiderAttempts(uint256 seed) external step {
        address provider = providers[seed % PROVIDERS];
        vm.startPrank(outsider);
        try rewards.recordService(provider, 1e10, 1e9) {
            _violation("outsider recorded service");
        } catch {}
        try rewards.setEmissionRate(seed % MAX_TEST_RATE) {
            _violation("outsider set the rate");
        } catch {}
        try dcx.mint(outsider, 1) {
            _violation("outsider minted");
        } catch {}
        vm.stopPrank();
        // The DAO itself cannot mint either: only the distributor holds MINTER_ROLE.
        vm.prank(admin);
        try dcx.mint(admin, 1) {
            _violation("admin minted");
        } catch {}
    }

    // ---------------------------------------------------------------------------------------------
    // Token
    // ---------------------------------------------------------------------------------------------

    /// @dev Moves DCX between any two accounts of the run (holders and providers).
    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amountSeed) external step {
        address from = _account(fromSeed);
        address to = _account(toSeed);
        uint256 balance = dcx.balanceOf(from);
        uint256 amount = _bound(amountSeed, 0, balance);
        uint256 toBefore = dcx.balanceOf(to);
        uint256[2] memory votesBefore = [_votesOf(dcx.delegates(from)), _votesOf(dcx.delegates(to))];

        vm.prank(from);
        try dcx.transfer(to, amount) {
            if (from != to && (dcx.balanceOf(from) != balance - amount || dcx.balanceOf(to) != toBefore + amount)) {
                _violation("transfer: balances moved by another amount");
            }
            address fromDelegate = dcx.delegates(from);
            address toDelegate = dcx.delegates(to);
            if (fromDelegate != toDelegate) {
                if (fromDelegate != address(0) && dcx.getVotes(fromDelegate) != votesBefore[0] - amount) {
                    _violation("transfer: sender's delegate kept the votes");
                }
                if (toDelegate != address(0) && dcx.getVotes(toDelegate) != votesBefore[1] + amount) {
                    _violation("transfer: recipient's delegate did not get the votes");
                }
            }
            ++stats.transfers;
        } catch {
            _violation("transfer: refused a transfer within the balance");
        }
    }

    /// @dev An account delegates its votes to another account, itself, or no one.
    function delegate(uint256 fromSeed, uint256 toSeed) external step {
        address from = _account(fromSeed);
        address to = toSeed % 5 == 0 ? address(0) : _account(toSeed);
        address previous = dcx.delegates(from);
        uint256 balance = dcx.balanceOf(from);
        uint256 toVotes = _votesOf(to);
        vm.prank(from);
        dcx.delegate(to);
        if (dcx.delegates(from) != to) _violation("delegate: delegate not set");
        if (to != address(0) && previous != to && dcx.getVotes(to) != toVotes + balance) {
            _violation("delegate: votes not moved to the new delegate");
        }
        ++stats.delegations;
    }

    /// @dev Mostly steps within an epoch, sometimes across one or several.
    function warp(uint256 seed) external step {
        uint256 before = _epochNow();
        uint256 delta =
            seed % 3 == 0 ? _bound(seed >> 8, epochSeconds, 3 * epochSeconds) : _bound(seed >> 8, 1, epochSeconds / 2);
        currentTime += delta;
        vm.warp(currentTime);
        if (_epochNow() != before) ++stats.epochsCrossed;
    }

    // ---------------------------------------------------------------------------------------------
    // Views for the invariant suite
    // ---------------------------------------------------------------------------------------------

    function statistics() external view returns (RewardStats memory) {
        return stats;
    }

    function allProviders() external view returns (address[] memory list) {
        list = new address[](PROVIDERS);
        for (uint256 i = 0; i < PROVIDERS; ++i) list[i] = providers[i];
    }

    /// @notice Every account that can hold DCX or votes in these runs.
    function allAccounts() public view returns (address[] memory list) {
        list = new address[](HOLDERS + PROVIDERS);
        for (uint256 i = 0; i < HOLDERS; ++i) list[i] = holders[i];
        for (uint256 i = 0; i < PROVIDERS; ++i) list[HOLDERS + i] = providers[i];
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev What the next epoch to open will get: rate × length, within what the cap leaves after
    /// every earlier epoch's emission that fee caps did not forfeit (the distributor is the only
    /// minter after deployment).
    function _expectedEmission() private view returns (uint256) {
        uint256 room = dcx.cap() - initialSupply + rewards.totalForfeited() - ghostEmitted;
        uint256 full = rewards.emissionRate() * epochSeconds;
        return full < room ? full : room;
    }

    /// @dev `rewardPerFeeBps` of the fee in DCX at the oracle's DCX price, rounded down.
    function _capDcx(uint256 feeUsdE8) private view returns (uint256) {
        IPriceOracle.UsdPrice memory price = rewards.priceOracle().usdPrice(address(dcx));
        uint256 usdE8 = (feeUsdE8 * rewards.rewardPerFeeBps()) / BPS;
        return PriceMath.usdToTokenFloor(usdE8, price.answer, price.feedDecimals, price.tokenDecimals);
    }

    function _epochNow() private view returns (uint256) {
        return rewards.currentEpoch();
    }

    function _account(uint256 seed) private view returns (address) {
        uint256 i = seed % (HOLDERS + PROVIDERS);
        return i < HOLDERS ? holders[i] : providers[i - HOLDERS];
    }

    function _votesOf(address account) private view returns (uint256) {
        return account == address(0) ? 0 : dcx.getVotes(account);
    }

    function _violation(string memory what) private {
        if (violations == 0) firstViolation = what;
        ++violations;
    }
}
