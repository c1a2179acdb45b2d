// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDCXToken
/// @notice D-CloudX's governance and reward token: ERC-20 with EIP-2612 permits and ERC-5805 votes
/// on a timestamp clock (ERC-6372), with a capped supply minted only by the reward distributor.
interface IDCXToken {
    /// @notice Tokens minted at deployment.
    struct Allocation {
        address to;
        uint256 amount;
    }

    /// @notice Mints `amount` to `to`. Minter (the reward distributor) only; never beyond the cap.
    function mint(address to, uint256 amount) external;

    /// @notice Maximum total supply.
    function cap() external view returns (uint256);

    /// @notice Total supply.
    function totalSupply() external view returns (uint256);
}
