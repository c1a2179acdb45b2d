// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title X25519Key
/// @notice Whether 32 bytes are a public key access details can be encrypted to: a canonical
/// little-endian u-coordinate (RFC 7748) whose key agreement cannot be forced to a known result.
/// @dev Refused: any value with the top bit set or at or above p = 2^255 - 19 (non-canonical
/// encodings of other values), and the u-coordinates of the points of order 1, 2, 4 and 8
/// (0, 1, p - 1 and the two order-8 points), with which any shared secret is zero. These are the
/// keys libsodium blocks; the sdk refuses the same set and tests it against the curve arithmetic.
/// The key is compared as stored: its first byte is the least significant byte of u.
library X25519Key {
    /// @dev Bytes 1..31 of every value from p to p + 18: 0xff... then 0x7f in the last byte.
    uint256 private constant P_HIGH_BYTES = 0x00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    uint256 private constant LOW_BYTE_OF_P = 0xed;
    bytes32 private constant ONE = 0x0100000000000000000000000000000000000000000000000000000000000000;
    bytes32 private constant P_MINUS_ONE = 0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 private constant ORDER_8_A = 0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800;
    bytes32 private constant ORDER_8_B = 0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157;

    /// @notice Whether `key` is a canonical u-coordinate outside the small-order set.
    function isUsable(bytes32 key) internal pure returns (bool) {
        uint256 word = uint256(key);
        if (word & 0x80 != 0) return false; // top bit of the last (most significant) byte
        if (word & P_HIGH_BYTES == P_HIGH_BYTES && word >> 248 >= LOW_BYTE_OF_P) return false; // u >= p
        return key != bytes32(0) && key != ONE && key != P_MINUS_ONE && key != ORDER_8_A && key != ORDER_8_B;
    }
}
