/**
 * Access details (host, port, user, credentials of a provisioned machine) travel through IPFS,
 * encrypted so that only the consumer can read them. The dApp and the oracle node share this code.
 *
 * The consumer's key pair comes from their wallet, so nothing has to be stored: at booking time the
 * dApp asks the wallet to sign `accessKeyMessage(chainId, address)` (personal_sign), derives an
 * X25519 key pair from the signature with `deriveAccessKeyPair`, and passes the public key as the
 * `encryptionPublicKey` of `book`. Wallets sign deterministically (RFC 6979), so signing the same
 * message again later gives the same key pair, and the dApp decrypts with `decryptAccessDetails`.
 *
 * The oracle node encrypts with `encryptAccessDetails`: an ephemeral X25519 key agreement with the
 * consumer's public key, HKDF-SHA256 to derive a key, and XChaCha20-Poly1305 (random 24-byte nonce).
 *
 * A public key must be one access details can be encrypted to (`isUsableEncryptionKey`): the
 * marketplace refuses the same keys at booking (contracts/libraries/X25519Key.sol), so an oracle
 * that meets one anyway states a consumer fault instead of failing the booking.
 *
 * Wallets that do not sign deterministically (smart-contract and MPC wallets) would give a
 * different key pair each time: `deterministicSignature` finds out before a booking is made.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { z } from "zod";

export const ACCESS_ENVELOPE_VERSION = 1;

/** Largest envelope accepted, in bytes of UTF-8 JSON. Checked before parsing. */
export const MAX_ACCESS_ENVELOPE_BYTES = 16 * 1024;

const KEY_DERIVATION_SALT = utf8ToBytes("D-CloudX access key v1");
const KEY_DERIVATION_INFO = utf8ToBytes("x25519 private key");
const ENVELOPE_INFO = utf8ToBytes("D-CloudX access details v1");

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `must be 0x and ${bytes} bytes of hex`)
    .transform((text) => hexToBytes(text.slice(2)));

/**
 * Where a booked bucket is and how the usual clients reach it: `examples` maps a client ("aws cli",
 * "azcopy", "rclone"…) to commands ready to paste, with the credentials filled in.
 */
export const objectStorageAccessSchema = z.strictObject({
  api: z.enum(["s3", "azure-blob", "gcs"]),
  /** The service endpoint, e.g. `https://s3.eu-central-1.amazonaws.com` or `https://<account>.blob.core.windows.net`. */
  endpoint: z.string().min(1).max(2048),
  /** The bucket (S3, GCS) or container (Azure) of the booking. */
  bucket: z.string().min(3).max(63),
  region: z.string().min(1).max(64),
  /** When the credentials stop working (ISO 8601), if they expire by themselves. */
  expiresAt: z.iso.datetime().optional(),
  /** Data the booking may store, in GiB. */
  capacityGib: z.int().min(1),
  examples: z.record(z.string().min(1).max(32), z.string().min(1).max(4096)),
});

/** What the consumer needs to reach a provisioned machine or bucket. Every field is secret. */
export const accessDetailsSchema = z.strictObject({
  protocol: z.enum(["ssh", "http", "https"]),
  host: z.string().min(1).max(253),
  port: z.int().min(1).max(65_535),
  /** The login, or the access key id of a bucket's credentials (`sas` for an Azure SAS). */
  user: z.string().min(1).max(128),
  credentials: z.strictObject({
    kind: z.enum(["password", "ssh-private-key", "bearer-token", "access-key", "sas-token"]),
    secret: z.string().min(1).max(8192),
  }),
  url: z.string().max(2048).optional(),
  objectStorage: objectStorageAccessSchema.optional(),
});

export type ObjectStorageAccess = z.infer<typeof objectStorageAccessSchema>;

export type AccessDetails = z.infer<typeof accessDetailsSchema>;

/** The encrypted document stored on IPFS. Binary fields are 0x-hex, the ciphertext base64. */
export const accessEnvelopeSchema = z.strictObject({
  version: z.literal(ACCESS_ENVELOPE_VERSION),
  ephemeralPublicKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x and 32 bytes of hex"),
  nonce: z.string().regex(/^0x[0-9a-fA-F]{48}$/, "must be 0x and 24 bytes of hex"),
  ciphertext: z.base64().max(MAX_ACCESS_ENVELOPE_BYTES),
});

export type AccessEnvelope = z.infer<typeof accessEnvelopeSchema>;

export interface AccessKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  /** The public key as the bytes32 `encryptionPublicKey` of `book`. */
  publicKeyHex: `0x${string}`;
}

const P = 2n ** 255n - 19n;

/**
 * u-coordinates of the points of small order (1, 2, 4, 8) on Curve25519, with which every shared
 * secret is zero: 0, 1, the two points of order 8, and p − 1 (libsodium's list).
 */
const SMALL_ORDER_U = new Set([
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P - 1n,
]);

/**
 * Whether 32 bytes (0x-hex, as in `BookingRequested`) are an X25519 public key access details can
 * be encrypted to: a canonical little-endian u-coordinate (top bit clear, below p) outside the
 * small-order set. The same rule as the marketplace's.
 */
export function isUsableEncryptionKey(key: string | Uint8Array): boolean {
  let bytes: Uint8Array;
  if (typeof key === "string") {
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) return false;
    bytes = hexToBytes(key.slice(2));
  } else {
    if (key.length !== 32) return false;
    bytes = key;
  }
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i]!);
  return u < P && !SMALL_ORDER_U.has(u);
}

/** A public key access details cannot be encrypted to: the booking's own input is at fault. */
export class UnusableEncryptionKeyError extends Error {
  constructor() {
    super("The booking's encryption public key is not a usable X25519 key (zero, small order or not canonical)");
    this.name = "UnusableEncryptionKeyError";
  }
}

/** A wallet that signs the same message differently each time (smart-contract and MPC wallets). */
export class NondeterministicWalletError extends Error {
  constructor() {
    super(
      "This wallet signs the same message differently each time (as smart-contract and MPC wallets do), " +
        "so the key that decrypts your access details could never be derived again. " +
        "Book with a wallet that signs deterministically, such as an ordinary account.",
    );
    this.name = "NondeterministicWalletError";
  }
}

/**
 * The wallet's signature of the access-key message, once it has signed it twice the same way;
 * throws NondeterministicWalletError otherwise (its key pair would change from one signature to
 * the next).
 */
export async function deterministicSignature(sign: () => Promise<string>): Promise<string> {
  const first = await sign();
  const second = await sign();
  if (first.toLowerCase() !== second.toLowerCase()) throw new NondeterministicWalletError();
  return first;
}

/** The text the consumer's wallet signs (personal_sign) to derive their access key pair. */
export function accessKeyMessage(chainId: number | bigint, address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`Not an address: "${address}"`);
  return [
    "D-CloudX access key",
    "",
    "Signing this message derives the key that decrypts the access details of your bookings.",
    "It is not a transaction and costs nothing. Sign it only on the D-CloudX app.",
    "",
    `Chain: ${chainId}`,
    `Account: ${address.toLowerCase()}`,
  ].join("\n");
}

/**
 * The X25519 key pair derived from a 65-byte signature of `accessKeyMessage` (0x-hex or bytes).
 * The recovery byte may be 0/1 or 27/28 (wallets differ); both give the same key pair.
 */
export function deriveAccessKeyPair(signature: string | Uint8Array): AccessKeyPair {
  const bytes = typeof signature === "string" ? hex(65).parse(signature) : Uint8Array.from(signature);
  if (bytes.length !== 65) throw new Error(`A signature has 65 bytes, not ${bytes.length}`);
  if (bytes[64]! < 27) bytes[64] = bytes[64]! + 27;
  const privateKey = hkdf(sha256, bytes, KEY_DERIVATION_SALT, KEY_DERIVATION_INFO, 32);
  const publicKey = x25519.getPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyHex: `0x${bytesToHex(publicKey)}` };
}

/** Encrypts access details to a consumer's X25519 public key (the bytes32 from `BookingRequested`). */
export function encryptAccessDetails(publicKey: string | Uint8Array, details: AccessDetails): AccessEnvelope {
  if (!isUsableEncryptionKey(publicKey)) throw new UnusableEncryptionKeyError();
  const recipient = typeof publicKey === "string" ? hex(32).parse(publicKey) : publicKey;
  const plaintext = new TextEncoder().encode(JSON.stringify(accessDetailsSchema.parse(details)));
  const ephemeralPrivate = x25519.utils.randomSecretKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeralPrivate);
  const key = envelopeKey(x25519.getSharedSecret(ephemeralPrivate, recipient), ephemeralPublic, recipient);
  const nonce = randomBytes(24);
  const ciphertext = xchacha20poly1305(key, nonce).encrypt(plaintext);
  return {
    version: ACCESS_ENVELOPE_VERSION,
    ephemeralPublicKey: `0x${bytesToHex(ephemeralPublic)}`,
    nonce: `0x${bytesToHex(nonce)}`,
    ciphertext: bytesToBase64(ciphertext),
  };
}

/**
 * Decrypts an envelope (parsed JSON, text or bytes as fetched from IPFS) with the consumer's private
 * key. Throws on a malformed envelope, a wrong key or a tampered ciphertext.
 */
export function decryptAccessDetails(privateKey: Uint8Array, envelope: unknown): AccessDetails {
  const json = typeof envelope === "string" || envelope instanceof Uint8Array ? parseJson(envelope) : envelope;
  const parsed = accessEnvelopeSchema.parse(json);
  const ephemeralPublic = hexToBytes(parsed.ephemeralPublicKey.slice(2));
  const recipient = x25519.getPublicKey(privateKey);
  const key = envelopeKey(x25519.getSharedSecret(privateKey, ephemeralPublic), ephemeralPublic, recipient);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(key, hexToBytes(parsed.nonce.slice(2))).decrypt(base64ToBytes(parsed.ciphertext));
  } catch {
    throw new Error("The access details cannot be decrypted with this key (wrong key or tampered envelope)");
  }
  return accessDetailsSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
}

// Both public keys go into the salt, so a key is bound to this exchange (no key reuse across recipients).
function envelopeKey(shared: Uint8Array, ephemeralPublic: Uint8Array, recipient: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPublic, 0);
  salt.set(recipient, 32);
  return hkdf(sha256, shared, salt, ENVELOPE_INFO, 32);
}

// atob/btoa rather than Buffer: the dApp decrypts in the browser, which has no Buffer.
function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function parseJson(input: string | Uint8Array): unknown {
  if (input.length > MAX_ACCESS_ENVELOPE_BYTES) {
    throw new Error(`Envelope is ${input.length} bytes or more; the limit is ${MAX_ACCESS_ENVELOPE_BYTES}`);
  }
  return JSON.parse(typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input));
}
