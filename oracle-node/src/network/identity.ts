/**
 * A node's libp2p identity and its binding to the oracle's on-chain address. The Ed25519 key is
 * derived from the oracle's private key (HKDF-SHA256), so one secret makes both and the peer id
 * survives a move to another machine. The binding is the oracle's EIP-191 signature over the peer
 * id, the chain and the SLAEnforcement contract: peers check it before they accept anything the
 * peer publishes.
 */
import { hkdfSync } from "node:crypto";

import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey, PeerId } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Hex, hexToBytes, recoverMessageAddress } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";

export interface BindingScope {
  chainId: number;
  /** SLAEnforcement: the contract whose signers form the network. */
  contract: string;
}

export async function peerKeyOf(oraclePrivateKey: Hex): Promise<Ed25519PrivateKey> {
  const seed = hkdfSync(
    "sha256",
    hexToBytes(oraclePrivateKey),
    new Uint8Array(),
    "d-cloudx oracle libp2p identity",
    32,
  );
  return generateKeyPairFromSeed("Ed25519", new Uint8Array(seed));
}

export async function peerIdOf(oraclePrivateKey: Hex): Promise<PeerId> {
  return peerIdFromPrivateKey(await peerKeyOf(oraclePrivateKey));
}

function bindingMessage(peerId: string, scope: BindingScope): string {
  return `D-CloudX oracle network\npeer: ${peerId}\nchain: ${scope.chainId}\ncontract: ${scope.contract.toLowerCase()}`;
}

export function signBinding(account: PrivateKeyAccount, peerId: string, scope: BindingScope): Promise<Hex> {
  return account.signMessage({ message: bindingMessage(peerId, scope) });
}

/** The oracle address that bound `peerId`, or undefined if the signature does not verify. */
export async function recoverBinding(peerId: string, signature: Hex, scope: BindingScope): Promise<string | undefined> {
  try {
    return (await recoverMessageAddress({ message: bindingMessage(peerId, scope), signature })).toLowerCase();
  } catch {
    return undefined;
  }
}
