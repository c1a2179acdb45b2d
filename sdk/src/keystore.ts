/**
 * Encrypted key files in the Web3 Secret Storage format (version 3, as geth, Foundry's `cast wallet`
 * and ethers write them): scrypt derives a key from the password, AES-128-CTR encrypts the private
 * key, and a keccak-256 MAC detects a wrong password.
 */
import { ctr } from "@noble/ciphers/aes.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { type Hex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";

const hexString = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]+$/)
  .transform((text) => hexToBytes(text.replace(/^0x/, "")));

const keystoreSchema = z.object({
  version: z.literal(3),
  address: z.string().optional(),
  crypto: z.object({
    cipher: z.literal("aes-128-ctr"),
    ciphertext: hexString,
    cipherparams: z.object({ iv: hexString }),
    kdf: z.literal("scrypt"),
    kdfparams: z.object({
      n: z.number().int().positive(),
      r: z.number().int().positive(),
      p: z.number().int().positive(),
      dklen: z.literal(32),
      salt: hexString,
    }),
    mac: hexString,
  }),
});

/** scrypt's work factor: geth's "standard" cost (about a second); tests may pass a smaller one. */
export const KEYSTORE_SCRYPT_N = 262_144;

function mac(derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return hexToBytes(keccak256(new Uint8Array([...derived.slice(16, 32), ...ciphertext])).slice(2));
}

/** Encrypts a private key with a password into a version 3 keystore document. */
export async function encryptKeystore(privateKey: Hex, password: string, options: { n?: number } = {}) {
  const key = hexToBytes(privateKey.slice(2));
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdfparams = { n: options.n ?? KEYSTORE_SCRYPT_N, r: 8, p: 1, dklen: 32 as const };
  const derived = await scryptAsync(utf8ToBytes(password), salt, {
    N: kdfparams.n,
    r: kdfparams.r,
    p: kdfparams.p,
    dkLen: 32,
  });
  const ciphertext = ctr(derived.slice(0, 16), iv).encrypt(key);
  return {
    version: 3 as const,
    id: crypto.randomUUID(),
    address: privateKeyToAccount(privateKey).address.slice(2).toLowerCase(),
    crypto: {
      cipher: "aes-128-ctr" as const,
      ciphertext: bytesToHex(ciphertext),
      cipherparams: { iv: bytesToHex(iv) },
      kdf: "scrypt" as const,
      kdfparams: { ...kdfparams, salt: bytesToHex(salt) },
      mac: bytesToHex(mac(derived, ciphertext)),
    },
  };
}

/** The private key in a version 3 keystore document (parsed JSON or text); throws on a wrong password. */
export async function decryptKeystore(document: unknown, password: string): Promise<Hex> {
  const json = (typeof document === "string" ? JSON.parse(document) : document) as Record<string, unknown> | null;
  // Some writers (geth before 1.4, ethers) spell the key "Crypto".
  const parsed = keystoreSchema.safeParse(json && !json.crypto ? { ...json, crypto: json.Crypto } : json);
  if (!parsed.success) {
    throw new Error("Not a supported keystore file (version 3, scrypt, aes-128-ctr).");
  }
  const { crypto: box } = parsed.data;
  const { n, r, p, salt } = box.kdfparams;
  const derived = await scryptAsync(utf8ToBytes(password), salt, { N: n, r, p, dkLen: 32, maxmem: 2 ** 31 });
  if (bytesToHex(mac(derived, box.ciphertext)) !== bytesToHex(box.mac)) {
    throw new Error("Wrong keystore password.");
  }
  return `0x${bytesToHex(ctr(derived.slice(0, 16), box.cipherparams.iv).decrypt(box.ciphertext))}`;
}
