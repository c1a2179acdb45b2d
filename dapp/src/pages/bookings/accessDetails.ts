/**
 * Access details arrive encrypted on IPFS; this module opens an envelope with the consumer's key
 * and decides how each decrypted (untrusted) field may be shown. Nothing here touches the network.
 */
import { type AccessDetails, decryptAccessDetails } from "@d-cloudx/sdk/access";

export type OpenResult = { ok: true; details: AccessDetails } | { ok: false; message: string };

/**
 * Decrypts an envelope fetched from IPFS. `bookingKey` is the encryption public key the booking was
 * made with; a different key derived now (another wallet or account) cannot open it, and saying so
 * is clearer than a failed decryption.
 */
export function openEnvelope(
  envelope: Uint8Array,
  pair: { privateKey: Uint8Array; publicKeyHex: string },
  bookingKey: string,
): OpenResult {
  if (pair.publicKeyHex.toLowerCase() !== bookingKey.toLowerCase()) {
    return {
      ok: false,
      message:
        "This booking was made with a different access key than this wallet gives now (another account or wallet signed at booking time), so its details cannot be decrypted here.",
    };
  }
  try {
    return { ok: true, details: decryptAccessDetails(pair.privateKey, envelope) };
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (/cannot be decrypted/.test(message)) {
      return {
        ok: false,
        message:
          "The access details cannot be decrypted with your key: the envelope on IPFS was altered or encrypted to another key. Contact the provider.",
      };
    }
    return {
      ok: false,
      message: "The access details document on IPFS is malformed (not a valid envelope). Contact the provider.",
    };
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The URL to offer as a link, if any: https anywhere, or plain http only on this machine's loopback
 * interface (the local provisioner's workloads), never with credentials in it, never any other
 * scheme. Anything else is shown as text only.
 */
export function accessLink(details: AccessDetails): string | undefined {
  // A bucket's URL carries its SAS or is useless without a signature: no link, copy buttons only.
  if (details.objectStorage) return undefined;
  const text =
    details.url ?? (details.protocol === "ssh" ? undefined : `${details.protocol}://${details.host}:${details.port}/`);
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  if (url.protocol === "https:" && url.hostname) return url.href;
  if (url.protocol === "http:" && LOOPBACK.has(url.hostname)) return url.href;
  return undefined;
}

// Characters a shell treats as plain text; anything else makes the suggested command unsafe to paste.
const SHELL_SAFE = /^[A-Za-z0-9._:@[\]-]+$/;

/** A command to paste into a terminal, when every part of it is plain text to a shell. */
export function sshCommand(details: AccessDetails): string | undefined {
  if (details.protocol !== "ssh") return undefined;
  if (!SHELL_SAFE.test(details.host) || !SHELL_SAFE.test(details.user) || details.host.startsWith("-")) {
    return undefined;
  }
  const key = details.credentials.kind === "ssh-private-key" ? "-i <saved key file> " : "";
  return `ssh ${key}-p ${details.port} ${details.user}@${details.host}`;
}

export const CREDENTIAL_LABELS: Record<AccessDetails["credentials"]["kind"], string> = {
  password: "Password",
  "ssh-private-key": "SSH private key",
  "bearer-token": "Bearer token",
  "access-key": "Secret access key",
  "sas-token": "SAS token",
};
