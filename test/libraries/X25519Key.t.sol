// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {X25519Key} from "../../contracts/libraries/X25519Key.sol";

contract X25519KeyTest is Test {
    /// @dev p = 2^255 - 19.
    uint256 private constant P = (1 << 255) - 19;

    /// @dev RFC 7748, section 6.1: Alice's and Bob's public keys.
    function test_acceptsRealPublicKeys() public pure {
        assertTrue(X25519Key.isUsable(0x8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a));
        assertTrue(X25519Key.isUsable(0xde9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f));
        // The sdk's test key, which the other suites book with.
        assertTrue(X25519Key.isUsable(0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170));
    }

    /// @dev The points of order 1, 2, 4 and 8 (libsodium's blocklist): any shared secret with them is zero.
    function test_refusesSmallOrderPoints() public pure {
        assertFalse(X25519Key.isUsable(_le(0)));
        assertFalse(X25519Key.isUsable(_le(1)));
        assertFalse(X25519Key.isUsable(_le(P - 1)));
        assertFalse(X25519Key.isUsable(0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800));
        assertFalse(X25519Key.isUsable(0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157));
    }

    /// @dev Non-canonical encodings: u ≥ p (p, p + 1 = the encoding of 1 again, 2^255 − 1) and any
    /// value with the top bit set.
    function test_refusesNonCanonicalEncodings() public pure {
        assertFalse(X25519Key.isUsable(_le(P)));
        assertFalse(X25519Key.isUsable(_le(P + 1)));
        assertFalse(X25519Key.isUsable(_le(P + 18)));
        assertFalse(X25519Key.isUsable(_le((1 << 255) - 1)));
        assertFalse(X25519Key.isUsable(_le((1 << 255) | 9)));
    }

    /// @dev Every canonical u-coordinate below p outside the small-order set is usable, whatever its bytes.
    function testFuzz_acceptsCanonicalCoordinates(uint256 u) public pure {
        u = bound(u, 2, P - 2);
        bytes32 key = _le(u);
        vm.assume(key != 0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800);
        vm.assume(key != 0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157);
        assertTrue(X25519Key.isUsable(key));
    }

    /// @dev ...and every value at or above p, or with the top bit set, is refused.
    function testFuzz_refusesValuesFromP(uint256 u) public pure {
        u = bound(u, P, type(uint256).max);
        assertFalse(X25519Key.isUsable(_le(u)));
    }

    /// @dev The 32-byte little-endian encoding of `u` (RFC 7748), as keys are stored on chain.
    function _le(uint256 u) private pure returns (bytes32 key) {
        for (uint256 i = 0; i < 32; ++i) {
            key |= bytes32(uint256(uint8(u >> (8 * i))) << (8 * (31 - i)));
        }
    }
}
