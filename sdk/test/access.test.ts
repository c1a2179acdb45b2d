import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

import {
  type AccessDetails,
  accessKeyMessage,
  decryptAccessDetails,
  deriveAccessKeyPair,
  encryptAccessDetails,
} from "../src/access.ts";

const details: AccessDetails = {
  protocol: "http",
  host: "127.0.0.1",
  port: 40123,
  user: "consumer",
  credentials: { kind: "bearer-token", secret: "s3cr3t-token" },
  url: "http://127.0.0.1:40123/",
};

/** personal_sign as a wallet does it: EIP-191 prefix, keccak-256, RFC 6979 deterministic ECDSA. */
function personalSign(privateKey: Uint8Array, message: string): string {
  const body = utf8ToBytes(message);
  const digest = keccak_256(new Uint8Array([...utf8ToBytes(`\x19Ethereum Signed Message:\n${body.length}`), ...body]));
  const signature = secp256k1.sign(digest, privateKey, { prehash: false, format: "recovered" });
  // noble puts the recovery byte first; Ethereum puts it last, as 27/28.
  return `0x${bytesToHex(signature.slice(1))}${(signature[0]! + 27).toString(16)}`;
}

const walletKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const message = accessKeyMessage(31337, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

describe("access details", () => {
  it("names the chain and the account in the message the wallet signs", () => {
    assert.match(message, /Chain: 31337\nAccount: 0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc$/);
    assert.throws(() => accessKeyMessage(1, "0x1234"), /Not an address/);
  });

  it("derives the same key pair from the same wallet every time, whatever the recovery byte's form", () => {
    const signature = personalSign(walletKey, message);
    const first = deriveAccessKeyPair(signature);
    const second = deriveAccessKeyPair(personalSign(walletKey, message));
    assert.deepEqual(first.privateKey, second.privateKey);
    assert.equal(first.publicKeyHex, second.publicKeyHex);
    assert.match(first.publicKeyHex, /^0x[0-9a-f]{64}$/);
    const v = parseInt(signature.slice(-2), 16);
    const compact = signature.slice(0, -2) + (v - 27).toString(16).padStart(2, "0");
    assert.equal(deriveAccessKeyPair(compact).publicKeyHex, first.publicKeyHex);

    const otherWallet = deriveAccessKeyPair(
      personalSign(
        walletKey.map((b) => b ^ 0xff),
        message,
      ),
    );
    assert.notEqual(otherWallet.publicKeyHex, first.publicKeyHex);
    assert.throws(() => deriveAccessKeyPair("0x1234"), /65 bytes/);
  });

  it("round-trips: what the oracle encrypts to the public key, the consumer decrypts", () => {
    const keys = deriveAccessKeyPair(personalSign(walletKey, message));
    const envelope = encryptAccessDetails(keys.publicKeyHex, details);
    assert.equal(envelope.version, 1);
    assert.ok(!JSON.stringify(envelope).includes(details.credentials.secret));
    assert.deepEqual(decryptAccessDetails(keys.privateKey, envelope), details);
    assert.deepEqual(decryptAccessDetails(keys.privateKey, JSON.stringify(envelope)), details);
    assert.deepEqual(decryptAccessDetails(keys.privateKey, utf8ToBytes(JSON.stringify(envelope))), details);
    // Fresh ephemeral key and nonce each time.
    assert.notEqual(encryptAccessDetails(keys.publicKey, details).ciphertext, envelope.ciphertext);
  });

  it("refuses the wrong key", () => {
    const keys = deriveAccessKeyPair(personalSign(walletKey, message));
    const other = deriveAccessKeyPair(
      personalSign(
        walletKey.map((b) => b ^ 1),
        message,
      ),
    );
    const envelope = encryptAccessDetails(keys.publicKeyHex, details);
    assert.throws(() => decryptAccessDetails(other.privateKey, envelope), /cannot be decrypted/);
  });

  it("refuses a tampered ciphertext, nonce or ephemeral key", () => {
    const keys = deriveAccessKeyPair(personalSign(walletKey, message));
    const envelope = encryptAccessDetails(keys.publicKeyHex, details);
    const bytes = Buffer.from(envelope.ciphertext, "base64");
    bytes[3]! ^= 1;
    const tampered = { ...envelope, ciphertext: bytes.toString("base64") };
    assert.throws(() => decryptAccessDetails(keys.privateKey, tampered), /cannot be decrypted/);
    const nonce = { ...envelope, nonce: envelope.nonce.slice(0, -1) + (envelope.nonce.endsWith("0") ? "1" : "0") };
    assert.throws(() => decryptAccessDetails(keys.privateKey, nonce), /cannot be decrypted/);
    const other = encryptAccessDetails(keys.publicKeyHex, details);
    assert.throws(
      () => decryptAccessDetails(keys.privateKey, { ...envelope, ephemeralPublicKey: other.ephemeralPublicKey }),
      /cannot be decrypted/,
    );
  });

  it("rejects malformed envelopes and details with clear errors", () => {
    const keys = deriveAccessKeyPair(personalSign(walletKey, message));
    assert.throws(() => decryptAccessDetails(keys.privateKey, "not json"), SyntaxError);
    assert.throws(() => decryptAccessDetails(keys.privateKey, { version: 2 }), /version/);
    assert.throws(() => decryptAccessDetails(keys.privateKey, "x".repeat(20_000)), /limit/);
    assert.throws(() => encryptAccessDetails(keys.publicKeyHex, { ...details, port: 0 }), /port/);
    assert.throws(() => encryptAccessDetails("0x12", details), /32 bytes/);
  });
});
