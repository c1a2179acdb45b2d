import { createPrivateKey, createPublicKey, hkdfSync } from "node:crypto";

/**
 * The SSH key pair a consumer gets for one booking's machine, as OpenSSH writes them: an
 * `authorized_keys` line and an unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` file that
 * `ssh -i` accepts.
 */
export interface SshKeyPair {
  publicKey: string;
  privateKey: string;
}

const HKDF_SALT = "d-cloudx ssh key v1";
// The fixed DER header of a PKCS#8 Ed25519 private key (RFC 8410); the 32-byte seed follows it.
const PKCS8_ED25519_HEADER = Buffer.from("302e020100300506032b657004220420", "hex");
const KEY_TYPE = "ssh-ed25519";

/**
 * Derives the Ed25519 key pair of `keyId` (a machine name) from the operator's key material with
 * HKDF-SHA256. The same inputs always give the same pair, so the node never stores private keys and
 * finds them again after a restart; different key ids give unrelated pairs, so one consumer's key
 * says nothing about another's.
 */
export function deriveSshKeyPair(keyMaterial: Uint8Array, keyId: string): SshKeyPair {
  // 32 bytes of seed, then 4 for the "check int" that OpenSSH puts in the private key file (random
  // in ssh-keygen; derived here so that the file is deterministic too).
  const okm = Buffer.from(hkdfSync("sha256", keyMaterial, HKDF_SALT, keyId, 36));
  const seed = okm.subarray(0, 32);
  const checkInt = okm.subarray(32, 36);

  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_HEADER, seed]),
    format: "der",
    type: "pkcs8",
  });
  const { x } = createPublicKey(privateKey).export({ format: "jwk" });
  const publicRaw = Buffer.from(x ?? "", "base64url");
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(publicRaw)]);

  // PROTOCOL.key in OpenSSH's sources: the private section is padded with 1, 2, 3… to a multiple of
  // the cipher block size (8 for "none").
  const unpadded = Buffer.concat([
    checkInt,
    checkInt,
    sshString(KEY_TYPE),
    sshString(publicRaw),
    sshString(Buffer.concat([seed, publicRaw])),
    sshString(keyId),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
  const file = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString("none"), // cipher
    sshString("none"), // KDF
    sshString(""), // KDF options
    uint32(1), // number of keys
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);

  return {
    publicKey: `${KEY_TYPE} ${publicBlob.toString("base64")} ${keyId}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${wrap(file.toString("base64"), 70)}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function sshString(value: string | Uint8Array): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function wrap(text: string, width: number): string {
  return (text.match(new RegExp(`.{1,${width}}`, "g")) ?? []).join("\n");
}
