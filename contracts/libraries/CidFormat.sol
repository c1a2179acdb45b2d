// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title CidFormat
/// @notice A cheap check that a string is written like an IPFS CID: CIDv0 ("Qm" and 44 base58btc
/// characters) or CIDv1 in base32 ("b", then "a" for version 1, then lowercase base32), at most 128
/// bytes. It does not decode the multihash; it refuses what is plainly not a CID.
library CidFormat {
    uint256 private constant MAX_LENGTH = 128;
    uint256 private constant V0_LENGTH = 46;
    /// @dev Shortest CIDv1 in base32: "b" and 4 bytes (version, codec, hash code, digest length).
    uint256 private constant MIN_V1_LENGTH = 8;
    /// @dev Bit c set for every ASCII character c of the alphabet.
    uint256 private constant BASE58BTC =
        (((1 << 9) - 1) << 49) | // 1-9
            (((1 << 8) - 1) << 65) | // A-H
            (((1 << 5) - 1) << 74) | // J-N
            (((1 << 11) - 1) << 80) | // P-Z
            (((1 << 11) - 1) << 97) | // a-k
            (((1 << 14) - 1) << 109); // m-z
    uint256 private constant BASE32_LOWER = (((1 << 26) - 1) << 97) | (((1 << 6) - 1) << 50); // a-z, 2-7

    /// @notice Whether `cid` is a CIDv0 or a base32 CIDv1 by its characters.
    function isCid(string calldata cid) internal pure returns (bool) {
        bytes calldata text = bytes(cid);
        uint256 length = text.length;
        if (length == V0_LENGTH && text[0] == "Q" && text[1] == "m") return _inAlphabet(text, 2, BASE58BTC);
        if (length < MIN_V1_LENGTH || length > MAX_LENGTH || text[0] != "b" || text[1] != "a") return false;
        return _inAlphabet(text, 2, BASE32_LOWER);
    }

    function _inAlphabet(bytes calldata text, uint256 from, uint256 alphabet) private pure returns (bool) {
        for (uint256 i = from; i < text.length; ++i) {
            if ((alphabet >> uint8(text[i])) & 1 == 0) return false;
        }
        return true;
    }
}
