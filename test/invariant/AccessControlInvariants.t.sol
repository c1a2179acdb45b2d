// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";

import {InvariantBase} from "./InvariantBase.sol";

/// @title Access-control invariants
/// @notice Same handler as the escrow suite; its `outsider` action has an address that is neither
/// consumer, provider, oracle nor admin call every state-changing function of every contract with
/// random arguments (lifecycle steps, escrow operations, SLA reports it signed itself, reputation
/// records, governance, role administration, upgrades, re-initialization). After every call:
///
/// 1. No outsider call ever goes through, except those the protocol opens to anyone at that moment
///    (completing an ended booking, cancelling a timed-out one), which the outsider does not try.
///    Statements it signs itself (provisioning, consumer faults, SLA reports) never pass as a quorum's.
/// 2. Outsider calls change nothing: every wallet balance, claimable balance and bond of every
///    account, every booking, stream, resource and reputation record, and every parameter is the
///    same before and after.
/// 3. Outsiders never get anything: they hold no tokens, are owed nothing and have no bond, though
///    they also act as keepers (cancelling timed-out bookings, completing ended ones, submitting
///    signed reports).
/// 4. Roles and implementations stay as wired at deployment.
contract AccessControlInvariants is InvariantBase {
    address[5] private implementations;

    function setUp() public override {
        super.setUp();
        implementations = [
            _implementation(address(priceOracle)),
            _implementation(address(reputation)),
            _implementation(address(escrow)),
            _implementation(address(marketplace)),
            _implementation(address(sla))
        ];
    }

    function invariant_outsidersCannotAct() public view {
        assertEq(handler.outsiderViolations(), 0, handler.firstOutsiderViolation());
    }

    function invariant_outsidersNeverGetAnything() public view {
        address[] memory outsiders = handler.allOutsiders();
        address[] memory tokens = handler.allTokens();
        for (uint256 i = 0; i < outsiders.length; ++i) {
            for (uint256 t = 0; t < tokens.length; ++t) {
                assertEq(_balanceOf(tokens[t], outsiders[i]), 0, "outsider holds tokens");
                assertEq(escrow.owed(outsiders[i], tokens[t]), 0, "outsider is owed something");
                assertEq(escrow.bondOf(outsiders[i], tokens[t]).amount, 0, "outsider has a bond");
            }
        }
    }

    function invariant_rolesAndImplementationsStayAsWired() public view {
        bytes32 adminRole = escrow.DEFAULT_ADMIN_ROLE();
        address[5] memory proxies = [
            address(priceOracle),
            address(reputation),
            address(escrow),
            address(marketplace),
            address(sla)
        ];
        address[] memory outsiders = handler.allOutsiders();
        for (uint256 i = 0; i < proxies.length; ++i) {
            assertEq(_implementation(proxies[i]), implementations[i], "implementation changed");
            assertTrue(IAccessControl(proxies[i]).hasRole(adminRole, admin), "admin lost its role");
            for (uint256 j = 0; j < outsiders.length; ++j) {
                assertFalse(IAccessControl(proxies[i]).hasRole(adminRole, outsiders[j]), "outsider became admin");
                assertFalse(
                    reputation.hasRole(reputation.RECORDER_ROLE(), outsiders[j]),
                    "outsider records reputation"
                );
                assertFalse(escrow.hasRole(escrow.MARKETPLACE_ROLE(), outsiders[j]), "outsider moves bookings");
                assertFalse(escrow.hasRole(escrow.SLA_ROLE(), outsiders[j]), "outsider settles periods");
                assertFalse(marketplace.hasRole(marketplace.GUARDIAN_ROLE(), outsiders[j]), "outsider pauses");
                assertFalse(sla.isSigner(outsiders[j]), "outsider signs reports");
            }
        }
        assertTrue(escrow.hasRole(escrow.MARKETPLACE_ROLE(), address(marketplace)), "marketplace lost its role");
        assertTrue(escrow.hasRole(escrow.SLA_ROLE(), address(sla)), "SLA enforcement lost its role");
        assertTrue(reputation.hasRole(reputation.RECORDER_ROLE(), address(marketplace)), "marketplace cannot record");
        assertTrue(reputation.hasRole(reputation.RECORDER_ROLE(), address(sla)), "SLA enforcement cannot record");
        assertEq(sla.signerCount(), oracleKeys.length, "oracle signers changed");
        assertEq(sla.quorum(), ORACLE_QUORUM, "quorum changed");
        assertEq(address(marketplace.oracleSigners()), address(sla), "provisioning confirmed by another signer set");
    }

    function _implementation(address proxy) private view returns (address) {
        return address(uint160(uint256(vm.load(proxy, ERC1967Utils.IMPLEMENTATION_SLOT))));
    }
}
