/**
 * The consumer's access key pair: derived from their wallet's signature of a fixed message (the
 * same signature always gives the same key, so nothing is stored), kept in memory for the session.
 * Its public half goes on chain with a booking; the oracle encrypts access details to it; only this
 * browser can decrypt them.
 */
import {
  type AccessKeyPair,
  accessKeyMessage,
  deriveAccessKeyPair,
  deterministicSignature,
} from "@d-cloudx/sdk/access";
import { getAccount, signMessage } from "@wagmi/core";

import { chain, wagmiConfig } from "../wagmi.ts";

const pairs = new Map<string, Promise<AccessKeyPair>>();

/**
 * Asks the connected wallet for the signature once per account and session, twice in a row: a
 * wallet that signs differently each time could never derive the key again, so it is refused
 * (NondeterministicWalletError, before any booking is sent). Rejects if the user declines.
 */
export function accessKeyPair(): Promise<AccessKeyPair> {
  const { address } = getAccount(wagmiConfig);
  if (!address) return Promise.reject(new Error("Connect a wallet first"));
  const key = `${chain.id}:${address.toLowerCase()}`;
  let pair = pairs.get(key);
  if (!pair) {
    const message = accessKeyMessage(chain.id, address);
    pair = deterministicSignature(() => signMessage(wagmiConfig, { account: address, message })).then(
      deriveAccessKeyPair,
    );
    pair.catch(() => pairs.delete(key));
    pairs.set(key, pair);
  }
  return pair;
}
