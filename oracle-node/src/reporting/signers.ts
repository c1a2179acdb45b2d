/**
 * Which addresses a QuorumSigned contract (SLAEnforcement, ResourceVerifier) accepts signatures
 * from, cached for a minute: a signature from anyone else would make the contract refuse the whole
 * submission, so it is left out.
 */
import type { Address, PublicClient } from "viem";

import { sLAEnforcementAbi } from "@d-cloudx/sdk/abis";

const TTL_MS = 60_000;

export class RegisteredSigners {
  readonly #client: PublicClient;
  readonly #contract: Address;
  readonly #cache = new Map<string, { registered: boolean; atMs: number }>();

  constructor(client: PublicClient, contract: Address) {
    this.#client = client;
    this.#contract = contract;
  }

  async has(signer: string): Promise<boolean> {
    const key = signer.toLowerCase();
    const cached = this.#cache.get(key);
    if (cached && Date.now() - cached.atMs < TTL_MS) return cached.registered;
    const registered = await this.#client.readContract({
      address: this.#contract,
      abi: sLAEnforcementAbi,
      functionName: "isSigner",
      args: [signer as Address],
    });
    this.#cache.set(key, { registered, atMs: Date.now() });
    return registered;
  }
}
