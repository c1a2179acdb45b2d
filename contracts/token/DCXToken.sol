// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ERC20CappedUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20CappedUpgradeable.sol";
import {ERC20PermitUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {ERC20VotesUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20VotesUpgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IDCXToken} from "../interfaces/IDCXToken.sol";

/// @title DCXToken
/// @notice The D-CloudX token (DCX). Votes are checkpointed by timestamp rather than block number,
/// which keeps governance periods in real time on L2s whose block times vary.
contract DCXToken is
    IDCXToken,
    ManagedUpgradeable,
    ERC20CappedUpgradeable,
    ERC20PermitUpgradeable,
    ERC20VotesUpgradeable
{
    /// @notice Role allowed to mint: the reward distributor.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    /// @param maxSupply Cap on the total supply.
    /// @param allocations Tokens minted now (treasury and, on local chains, demo accounts).
    function initialize(address admin, uint256 maxSupply, Allocation[] calldata allocations) external initializer {
        __Managed_init(admin);
        __ERC20_init("D-CloudX", "DCX");
        __ERC20Capped_init(maxSupply);
        __ERC20Permit_init("D-CloudX");
        __ERC20Votes_init();
        for (uint256 i = 0; i < allocations.length; ++i) {
            _mint(allocations[i].to, allocations[i].amount);
        }
    }

    /// @inheritdoc IDCXToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice The votes clock: the block timestamp (ERC-6372).
    function clock() public view override returns (uint48) {
        return Time.timestamp();
    }

    /// @notice Describes the votes clock (ERC-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc IDCXToken
    function cap() public view override(IDCXToken, ERC20CappedUpgradeable) returns (uint256) {
        return super.cap();
    }

    /// @inheritdoc IDCXToken
    function totalSupply() public view override(IDCXToken, ERC20Upgradeable) returns (uint256) {
        return super.totalSupply();
    }

    /// @inheritdoc NoncesUpgradeable
    function nonces(address owner) public view override(ERC20PermitUpgradeable, NoncesUpgradeable) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(
        address from,
        address to,
        uint256 value
    ) internal override(ERC20Upgradeable, ERC20CappedUpgradeable, ERC20VotesUpgradeable) {
        super._update(from, to, value);
    }
}
