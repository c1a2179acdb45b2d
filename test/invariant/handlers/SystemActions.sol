// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowManager} from "../../../contracts/interfaces/IEscrowManager.sol";
import {ISLAEnforcement} from "../../../contracts/interfaces/ISLAEnforcement.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title SystemActions
/// @notice Time passes, tokens are donated to the escrow, governance changes parameters, and
/// outsiders try everything they should not be able to do.
abstract contract SystemActions is HandlerBase {
    /// @dev Mostly short steps (SLA periods are a minute, report windows five), sometimes hours.
    function warp(uint256 seed) external step {
        _warpTo(currentTime + (seed % 4 == 0 ? _bound(seed >> 8, 600, 3 hours) : _bound(seed >> 8, 1, 600)));
    }

    /// @dev Tokens sent to the escrow without a call (or ETH forced in) belong to no one and must not
    /// disturb the accounting.
    function donate(uint256 tokenSeed, uint256 amountSeed) external step {
        address token = tokens[tokenSeed % tokens.length];
        uint256 amount = _bound(amountSeed, 1, 1e18);
        if (token == address(0)) {
            vm.deal(address(escrow), address(escrow).balance + amount);
        } else {
            MockERC20(token).mint(address(escrow), amount);
        }
        tokenGhosts[token].donations += amount;
    }

    /// @dev Governance changes the fee, the bond slash and the unbonding delay (changing the report
    /// window is refused), and one of: the credit policy, the provisioning timeout, the
    /// cancellation policy or the minimum bond coverage. The guardian pauses and resumes new bookings.
    function govern(uint256 feeSeed, uint256 slashSeed, uint256 delaySeed, uint256 pauseSeed) external step {
        IEscrowManager.Settings memory settings = escrow.settings();
        settings.protocolFeeBps = uint16(_bound(feeSeed, 0, escrow.MAX_PROTOCOL_FEE_BPS()));
        settings.bondSlashBps = uint16(_bound(slashSeed, 0, BPS));
        settings.unbondingDelaySeconds = uint32(_bound(delaySeed, 0, 2 hours));
        vm.prank(admin);
        try escrow.updateSettings(settings) {} catch {
            _dropLogs();
            _violation("govern: valid settings refused");
        }
        settings.reportWindowSeconds += uint32(_bound(delaySeed, 1, 30 days - settings.reportWindowSeconds));
        vm.prank(admin);
        try escrow.updateSettings(settings) {
            _violation("govern: report window changed");
        } catch {
            _dropLogs();
        }

        uint256 change = (pauseSeed >> 8) % 5;
        if (change == 0) _switchCreditPolicy();
        else if (change == 1) _changeTimeout(uint32(_bound(feeSeed >> 16, 60, 900)));
        else if (change == 2) _changeCancellationPolicy(slashSeed >> 16);
        else if (change == 3) _changeBondCoverage(delaySeed >> 16);

        if (pauseSeed % 4 == 0) {
            bool paused = marketplace.paused();
            vm.prank(guardian);
            if (paused) marketplace.unpause();
            else marketplace.pause();
        }
    }

    /// @notice An outsider (no role, no booking, no resource, no funds) calls every state-changing
    /// function of the protocol with random arguments. Every call must revert, and nothing anyone
    /// holds or is owed may change.
    function outsider(uint256 outsiderSeed, uint256 bookingSeed, uint256 argSeed) external step {
        uint256 index = outsiderSeed % OUTSIDERS;
        uint256 bookingId = _bound(bookingSeed, 0, marketplace.bookingCount() + 1);
        address[] memory accounts = allAccounts();
        bytes32 before = outsiderActor.fingerprint(accounts);

        (uint256 successes, string memory firstSuccess) = outsiderActor.attack(
            outsiders[index],
            outsiderKeys[index],
            bookingId,
            argSeed,
            currentTime
        );
        if (successes != 0) _outsiderViolation(string.concat("outsider succeeded: ", firstSuccess));
        if (outsiderActor.fingerprint(accounts) != before) _outsiderViolation("an outsider changed balances or state");
        ++stats.outsiderAttempts;
    }

    /// @notice Every address the protocol could owe something to in these runs.
    function allAccounts() public view virtual returns (address[] memory);

    /// @dev Alternates between the deployed credit policy and a gentler one (LogObserver writes both out).
    function _switchCreditPolicy() private {
        uint8 next = 1 - policyNow;
        ISLAEnforcement.CreditTier[] memory tiers;
        uint16 baseCreditBps;
        if (next == 0) {
            tiers = new ISLAEnforcement.CreditTier[](2);
            tiers[0] = ISLAEnforcement.CreditTier({uptimeBelowBps: 9_900, creditBps: 2_500});
            tiers[1] = ISLAEnforcement.CreditTier({uptimeBelowBps: 9_500, creditBps: 10_000});
            baseCreditBps = 1_000;
        } else {
            tiers = new ISLAEnforcement.CreditTier[](1);
            tiers[0] = ISLAEnforcement.CreditTier({uptimeBelowBps: 9_000, creditBps: 10_000});
            baseCreditBps = 500;
        }
        vm.prank(admin);
        try sla.setCreditPolicy(baseCreditBps, tiers) {
            if (policyChangedAt != currentTime) {
                policyBefore = policyNow;
                policyChangedAt = currentTime;
            }
            policyNow = next;
            ++stats.policyChanges;
        } catch {
            _dropLogs();
            _violation("govern: valid credit policy refused");
        }
    }

    /// @dev A new timeout applies to bookings from the next second on; earlier ones keep theirs.
    function _changeTimeout(uint32 timeout) private {
        vm.prank(admin);
        try marketplace.setProvisionTimeout(timeout) {
            if (timeoutChangedAt != currentTime) {
                timeoutBefore = timeoutNow;
                timeoutChangedAt = currentTime;
            }
            timeoutNow = timeout;
            ++stats.timeoutChanges;
        } catch {
            _dropLogs();
            _violation("govern: valid timeout refused");
        }
    }

    /// @dev A fee of up to 10 % after a free window of up to ten minutes; above 10 % is refused.
    function _changeCancellationPolicy(uint256 seed) private {
        uint16 feeBps = uint16(_bound(seed, 0, 1_100));
        uint32 freeSeconds = uint32(_bound(seed >> 16, 0, 600));
        vm.prank(admin);
        try marketplace.setCancellationPolicy(feeBps, freeSeconds) {
            if (feeBps > 1_000) _violation("govern: cancellation fee above 10 % accepted");
        } catch {
            _dropLogs();
            if (feeBps <= 1_000) _violation("govern: valid cancellation policy refused");
        }
    }

    /// @dev No minimum, 10 % or half of the active bookings' value.
    function _changeBondCoverage(uint256 seed) private {
        uint16 coverageBps = [uint16(0), 1_000, 5_000][seed % 3];
        vm.prank(admin);
        try marketplace.setBondCoverage(coverageBps) {} catch {
            _dropLogs();
            _violation("govern: valid bond coverage refused");
        }
    }
}
