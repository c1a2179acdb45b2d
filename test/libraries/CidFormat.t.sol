// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {CidFormat} from "../../contracts/libraries/CidFormat.sol";

/// @dev CidFormat reads calldata; an external call gives it some.
contract CidFormatHarness {
    function isCid(string calldata cid) external pure returns (bool) {
        return CidFormat.isCid(cid);
    }
}

contract CidFormatTest is Test {
    CidFormatHarness private harness;

    function setUp() public {
        harness = new CidFormatHarness();
    }

    function test_acceptsCids() public view {
        assertTrue(harness.isCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"));
        assertTrue(harness.isCid("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
        assertTrue(harness.isCid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"));
    }

    function test_refusesWhatIsPlainlyNotACid() public view {
        assertFalse(harness.isCid("not-a-cid"));
        assertFalse(harness.isCid(""));
        assertFalse(harness.isCid("b"));
        assertFalse(harness.isCid("https://example.com/metadata.json"));
        // Base58 has no 0, O, I or l; base32 lowercase has no 0, 1, 8, 9 or capitals.
        assertFalse(harness.isCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd0"));
        assertFalse(harness.isCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdl"));
        assertFalse(harness.isCid("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z1"));
        assertFalse(harness.isCid("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zY"));
        // A CIDv0 one character short, and a CIDv1 of another version.
        assertFalse(harness.isCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd"));
        assertFalse(harness.isCid("bbfkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
        // Bidirectional controls and other bytes outside the alphabet.
        assertFalse(harness.isCid(unicode"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52\u202ezy"));
    }

    function test_refusesOverlongCids() public view {
        bytes memory text = new bytes(129);
        text[0] = "b";
        for (uint256 i = 1; i < text.length; ++i) text[i] = "a";
        assertFalse(harness.isCid(string(text)));
        assertTrue(harness.isCid(string(_slice(text, 128))));
    }

    /// @dev Any character outside the base32 alphabet anywhere after the prefix is refused.
    function testFuzz_refusesForeignCharacters(uint8 position, bytes1 character) public view {
        bytes memory text = bytes("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
        uint256 index = bound(position, 2, text.length - 1);
        bool inAlphabet = (character >= "a" && character <= "z") || (character >= "2" && character <= "7");
        text[index] = character;
        assertEq(harness.isCid(string(text)), inAlphabet);
    }

    function _slice(bytes memory text, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) out[i] = text[i];
    }
}
