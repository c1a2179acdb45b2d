// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

import {BookingRenewals} from "../../contracts/core/BookingRenewals.sol";
import {EscrowManager} from "../../contracts/core/EscrowManager.sol";
import {ReputationSystem} from "../../contracts/core/ReputationSystem.sol";
import {ResourceMarketplace} from "../../contracts/core/ResourceMarketplace.sol";
import {SLAEnforcement} from "../../contracts/core/SLAEnforcement.sol";
import {IEscrowManager} from "../../contracts/interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../../contracts/interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../../contracts/interfaces/IResourceMarketplace.sol";
import {ISLAEnforcement} from "../../contracts/interfaces/ISLAEnforcement.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {PriceOracle} from "../../contracts/oracles/PriceOracle.sol";

/// @notice The whole protocol behind real ERC-1967 proxies, wired as scripts/lib/core.ts wires it,
/// with the local settings (one-minute SLA periods), a 2-of-3 oracle quorum that both settles SLA
/// reports and confirms provisioning, a 1 % fee for consumer cancellations after 30 seconds, and
/// three payment tokens: ETH, an 18-decimal stablecoin and a 6-decimal one.
abstract contract CoreDeployment is Test {
    uint32 internal constant SLA_PERIOD_SECONDS = 60;
    uint32 internal constant REPORT_WINDOW_SECONDS = 300;
    uint32 internal constant PROVISION_TIMEOUT_SECONDS = 300;
    uint16 internal constant PROTOCOL_FEE_BPS = 250;
    uint16 internal constant BOND_SLASH_BPS = 5_000;
    uint32 internal constant UNBONDING_DELAY_SECONDS = 3_600;
    uint16 internal constant BASE_CREDIT_BPS = 1_000;
    uint16 internal constant ORACLE_QUORUM = 2;
    uint16 internal constant CANCELLATION_FEE_BPS = 100;
    uint32 internal constant FREE_CANCELLATION_SECONDS = 30;
    uint32 internal constant RENEWAL_WINDOW_SECONDS = 3_600;
    /// @dev Feeds are only updated by hand here, as on local chains.
    uint32 internal constant HEARTBEAT_SECONDS = 1 days;
    /// @dev A realistic clock, so that no timestamp arithmetic starts near zero.
    uint256 internal constant START_TIME = 1_750_000_000;

    error DeploymentFailed(string artifact);

    address internal admin = makeAddr("admin");
    address internal treasury = makeAddr("treasury");
    address internal guardian = makeAddr("guardian");
    uint256[3] internal oracleKeys = [uint256(0x0A11CE), 0x0B0B, 0x0CA401];

    PriceOracle internal priceOracle;
    ReputationSystem internal reputation;
    EscrowManager internal escrow;
    ResourceMarketplace internal marketplace;
    SLAEnforcement internal sla;
    BookingRenewals internal renewals;

    MockERC20 internal dai;
    MockERC20 internal usdc;
    MockV3Aggregator internal ethFeed;
    MockV3Aggregator internal daiFeed;
    MockV3Aggregator internal usdcFeed;

    function _deployCore() internal {
        vm.warp(START_TIME);
        vm.startPrank(admin);

        priceOracle = PriceOracle(
            _proxy("contracts/oracles/PriceOracle.sol:PriceOracle", abi.encodeCall(PriceOracle.initialize, (admin)))
        );
        reputation = ReputationSystem(
            _proxy(
                "contracts/core/ReputationSystem.sol:ReputationSystem",
                abi.encodeCall(ReputationSystem.initialize, (admin))
            )
        );
        IEscrowManager.Settings memory settings = IEscrowManager.Settings({
            treasury: treasury,
            protocolFeeBps: PROTOCOL_FEE_BPS,
            slaPeriodSeconds: SLA_PERIOD_SECONDS,
            reportWindowSeconds: REPORT_WINDOW_SECONDS,
            bondSlashBps: BOND_SLASH_BPS,
            unbondingDelaySeconds: UNBONDING_DELAY_SECONDS
        });
        escrow = EscrowManager(
            _proxy(
                "contracts/core/EscrowManager.sol:EscrowManager",
                abi.encodeCall(EscrowManager.initialize, (admin, IPriceOracle(address(priceOracle)), settings))
            )
        );
        marketplace = ResourceMarketplace(
            _proxy(
                "contracts/core/ResourceMarketplace.sol:ResourceMarketplace",
                abi.encodeCall(
                    ResourceMarketplace.initialize,
                    (
                        admin,
                        IPriceOracle(address(priceOracle)),
                        IEscrowManager(address(escrow)),
                        IReputationSystem(address(reputation)),
                        PROVISION_TIMEOUT_SECONDS
                    )
                )
            )
        );
        address[] memory signers = new address[](oracleKeys.length);
        for (uint256 i = 0; i < oracleKeys.length; ++i) {
            signers[i] = vm.addr(oracleKeys[i]);
        }
        sla = SLAEnforcement(
            _proxy(
                "contracts/core/SLAEnforcement.sol:SLAEnforcement",
                abi.encodeCall(
                    SLAEnforcement.initialize,
                    (
                        admin,
                        IResourceMarketplace(address(marketplace)),
                        IEscrowManager(address(escrow)),
                        IReputationSystem(address(reputation)),
                        signers,
                        ORACLE_QUORUM,
                        BASE_CREDIT_BPS,
                        _creditTiers()
                    )
                )
            )
        );

        renewals = BookingRenewals(
            _proxy(
                "contracts/core/BookingRenewals.sol:BookingRenewals",
                abi.encodeCall(
                    BookingRenewals.initialize,
                    (
                        admin,
                        IResourceMarketplace(address(marketplace)),
                        IEscrowManager(address(escrow)),
                        RENEWAL_WINDOW_SECONDS,
                        0
                    )
                )
            )
        );

        escrow.grantRole(escrow.MARKETPLACE_ROLE(), address(marketplace));
        marketplace.grantRole(marketplace.RENEWER_ROLE(), address(renewals));
        escrow.grantRole(escrow.SLA_ROLE(), address(sla));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(marketplace));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(sla));
        marketplace.grantRole(marketplace.GUARDIAN_ROLE(), guardian);
        marketplace.setOracleSigners(sla);
        marketplace.setCancellationPolicy(CANCELLATION_FEE_BPS, FREE_CANCELLATION_SECONDS);

        ethFeed = new MockV3Aggregator(8, 3_000e8);
        dai = new MockERC20("Mock DAI", "DAI", 18);
        daiFeed = new MockV3Aggregator(8, 1e8);
        usdc = new MockERC20("Mock USDC", "USDC", 6);
        usdcFeed = new MockV3Aggregator(8, 1e8);
        priceOracle.setPaymentToken(address(0), address(ethFeed), HEARTBEAT_SECONDS);
        priceOracle.setPaymentToken(address(dai), address(daiFeed), HEARTBEAT_SECONDS);
        priceOracle.setPaymentToken(address(usdc), address(usdcFeed), HEARTBEAT_SECONDS);
        vm.stopPrank();

        vm.label(address(priceOracle), "PriceOracle");
        vm.label(address(reputation), "ReputationSystem");
        vm.label(address(escrow), "EscrowManager");
        vm.label(address(marketplace), "ResourceMarketplace");
        vm.label(address(sla), "SLAEnforcement");
        vm.label(address(renewals), "BookingRenewals");
        vm.label(address(dai), "DAI");
        vm.label(address(usdc), "USDC");
    }

    /// @dev AWS-style credits, as deployed: any miss 10 %, below 99 % 25 %, below 95 % the whole period.
    function _creditTiers() internal pure returns (ISLAEnforcement.CreditTier[] memory tiers) {
        tiers = new ISLAEnforcement.CreditTier[](2);
        tiers[0] = ISLAEnforcement.CreditTier({uptimeBelowBps: 9_900, creditBps: 2_500});
        tiers[1] = ISLAEnforcement.CreditTier({uptimeBelowBps: 9_500, creditBps: 10_000});
    }

    /// @dev Each implementation is deployed from its build artifact, then initialized through a real
    /// ERC-1967 proxy.
    function _proxy(string memory artifact, bytes memory initCall) private returns (address) {
        return address(new ERC1967Proxy(_deployArtifact(artifact, ""), initCall));
    }

    /// @dev Deploys a contract from its build artifact. With `new`, every suite would embed the
    /// creation code of every contract it deploys, and the via-IR optimizer would compile each of
    /// them again for each suite.
    function _deployArtifact(string memory artifact, bytes memory constructorArgs) internal returns (address deployed) {
        bytes memory creationCode = bytes.concat(vm.getCode(artifact), constructorArgs);
        assembly ("memory-safe") {
            deployed := create(0, add(creationCode, 0x20), mload(creationCode))
        }
        if (deployed == address(0)) revert DeploymentFailed(artifact);
    }
}
