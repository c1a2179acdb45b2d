import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { x25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

import {
  type AccessDetails,
  accessKeyMessage,
  decryptAccessDetails,
  deriveAccessKeyPair,
  encryptAccessDetails,
  isUsableEncryptionKey,
  NondeterministicWalletError,
  deterministicSignature,
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
    assert.throws(() => encryptAccessDetails("0x12", details), /not a usable X25519 key/);
  });
});

/** A u-coordinate as the 32 bytes of `encryptionPublicKey` (little-endian). */
function keyOf(u: bigint): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return `0x${bytesToHex(bytes)}`;
}

const P = 2n ** 255n - 19n;
const ORDER_8 = [
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
];

describe("encryption public keys", () => {
  it("refuses exactly the keys whose shared secret an attacker controls, as the marketplace does", () => {
    const secret = x25519.utils.randomSecretKey();
    // Small order: every key agreement with them gives zero, and noble refuses them too.
    for (const u of [0n, 1n, ...ORDER_8, P - 1n]) {
      assert.equal(isUsableEncryptionKey(keyOf(u)), false, `u = ${u}`);
      assert.throws(() => x25519.getSharedSecret(secret, Uint8Array.from(Buffer.from(keyOf(u).slice(2), "hex"))));
      assert.throws(() => encryptAccessDetails(keyOf(u), details), /not a usable X25519 key/);
    }
    // Not canonical: p and above, and anything with the top bit set (it is masked off, RFC 7748).
    for (const u of [P, P + 1n, 2n ** 255n - 1n, 2n ** 255n, 2n ** 256n - 1n]) {
      assert.equal(isUsableEncryptionKey(keyOf(u)), false, `u = ${u}`);
    }
    assert.equal(isUsableEncryptionKey("0x1234"), false);
    assert.equal(isUsableEncryptionKey(new Uint8Array(31)), false);
  });

  it("accepts every key a wallet derives, and small but valid points", () => {
    for (let i = 0; i < 64; i++) {
      const keys = deriveAccessKeyPair(
        personalSign(
          Uint8Array.from({ length: 32 }, (_, j) => i + j + 1),
          message,
        ),
      );
      assert.equal(isUsableEncryptionKey(keys.publicKeyHex), true);
      assert.equal(isUsableEncryptionKey(keys.publicKey), true);
    }
    for (const u of [2n, 9n, P - 2n]) assert.equal(isUsableEncryptionKey(keyOf(u)), true, `u = ${u}`);
  });

  it("takes a wallet's signature only if it signs deterministically", async () => {
    const wallet = async () => personalSign(walletKey, message);
    assert.equal(await deterministicSignature(wallet), await wallet());
    let nonce = 0;
    // A smart-contract or MPC wallet: another valid signature each time.
    const randomized = async () => `0x${(++nonce).toString(16).padStart(130, "0")}`;
    await assert.rejects(deterministicSignature(randomized), NondeterministicWalletError);
  });
});
