/**
 * Resource attestations for the verifier contract: for each served resource's current metadata
 * version, the cloud adapter checks the resource can be provided from this account (`verify`), and
 * the node signs what it checked (cloud, region, instance type, a hash of the account) with the
 * configured verifiers through the same agreement as SLA reports. A quorum-signed attestation is
 * submitted once (`attest-<resourceId>-<version>`), and renewed when a quarter of its validity is left.
 */
import { type Hex, encodeFunctionData, keccak256, recoverTypedDataAddress, toHex } from "viem";

import {
  type Attestation,
  MAX_METADATA_BYTES,
  attestationTypes,
  parseResourceMetadata,
  resourceType,
  verifierDomain,
  ResourceStatus,
} from "@d-cloudx/sdk";
import { resourceMarketplaceAbi, resourceVerifierAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { ContentStore } from "../ipfs.ts";
import type { Logger } from "../log.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import { type Provisioner, ProvisionerError } from "../provisioners/types.ts";
import type { Database } from "../store/db.ts";
import type { TxSender } from "../tx/sender.ts";
import type { Agreement, Figures } from "./agreement.ts";
import { RegisteredSigners } from "./signers.ts";

/** What a verifier checked about a resource. */
interface Checked {
  metadataVersion: number;
  cloud: string;
  region: string;
  instanceType: string;
  accountHash: string;
}

/** What verifiers sign: the checked claims and the validity the proposer chose. */
interface Claims extends Checked, Figures {
  issuedAt: string;
  expiresAt: string;
}

export interface AttestorDeps {
  db: Database;
  chain: ChainContext;
  sender: TxSender;
  agreement: Agreement;
  registry: ProvisionerRegistry;
  ipfs: ContentStore;
  log: Logger;
  validitySeconds: number;
}

export class Attestor {
  readonly #d: AttestorDeps;
  readonly #log: Logger;
  /** Own checks by resource and version, so the cloud is asked once. */
  readonly #checked = new Map<string, Checked | null>();
  readonly #signers: RegisteredSigners;

  constructor(deps: AttestorDeps) {
    this.#signers = new RegisteredSigners(deps.chain.client, deps.chain.addresses.verifier);
    this.#d = deps;
    this.#log = deps.log.child({ component: "attestor" });
  }

  async tick(): Promise<void> {
    const { db, chain } = this.#d;
    const now = chain.clock.nowSeconds();
    const latest = db.all<{ resource_id: string; version: number; metadata_cid: string }>(
      `SELECT resource_id, version, metadata_cid FROM resource_versions v
       WHERE version = (SELECT MAX(version) FROM resource_versions WHERE resource_id = v.resource_id)`,
    );
    for (const resource of latest) {
      const row = db.get<{ state: string; expires_at: number | null; tx_key: string | null }>(
        "SELECT state, expires_at, tx_key FROM attestations WHERE resource_id = ? AND metadata_version = ?",
        resource.resource_id,
        resource.version,
      );
      const renewAt = row?.expires_at ? row.expires_at - this.#d.validitySeconds / 4 : 0;
      if (row?.state === "verified" && now < renewAt) continue;
      if (row?.state === "failed") continue;
      if (row?.state === "submitted" && row.tx_key) {
        const tx = this.#d.sender.get(row.tx_key);
        if (!tx || tx.state === "queued" || tx.state === "sent") continue;
        if (tx.state === "failed" || tx.success === 0) {
          db.run(
            "UPDATE attestations SET state = 'failed' WHERE resource_id = ? AND metadata_version = ?",
            resource.resource_id,
            resource.version,
          );
          this.#log.warn({ resourceId: resource.resource_id, error: tx.error }, "attestation refused");
        }
        continue;
      }
      try {
        await this.#attest(resource, now);
      } catch (error) {
        this.#log.warn({ resourceId: resource.resource_id, error: describeError(error) }, "attestation not made");
      }
    }
  }

  async #attest(resource: { resource_id: string; version: number; metadata_cid: string }, now: number): Promise<void> {
    const { db, chain, sender, agreement } = this.#d;
    const resourceId = BigInt(resource.resource_id);
    const onChain = await chain.client.readContract({
      address: chain.addresses.marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "getResource",
      args: [resourceId],
    });
    if (onChain.metadataVersion !== resource.version || onChain.status === ResourceStatus.Delisted) return;
    const mine = await this.#check(resource);
    // The proposer's validity is used by all; this node's own proposal starts now.
    const proposed: Claims | undefined = mine && {
      ...mine,
      issuedAt: String(now - 1),
      expiresAt: String(now - 1 + this.#d.validitySeconds),
    };
    const topic = `attestation-${resource.resource_id}-${resource.version}`;
    const agreed = await agreement.advance<Claims>({
      topic,
      seed: resourceId,
      elapsedMs: 0,
      mine: proposed,
      acceptable: (p) =>
        mine !== undefined &&
        mine !== null &&
        (["metadataVersion", "cloud", "region", "instanceType", "accountHash"] as const).every((k) => p[k] === mine[k]),
      sign: (c) => this.#sign(attestation(resourceId, c)),
      recover: (c, signature) => this.#recover(attestation(resourceId, c), signature),
      registered: (signer) => this.#signers.has(signer),
    });
    const quorum = await chain.client.readContract({
      address: chain.addresses.verifier,
      abi: resourceVerifierAbi,
      functionName: "quorum",
    });
    if (!agreed || agreed.signatures.length < quorum) return;
    const key = `attest-${resource.resource_id}-${resource.version}-${agreed.figures.issuedAt}`;
    const data = encodeFunctionData({
      abi: resourceVerifierAbi,
      functionName: "submitAttestation",
      args: [attestation(resourceId, agreed.figures), agreed.signatures.map((s) => s.signature)],
    });
    db.transaction(() => {
      sender.submit(key, { to: chain.addresses.verifier, data });
      db.run(
        `INSERT INTO attestations (resource_id, metadata_version, state, tx_key) VALUES (?, ?, 'submitted', ?)
         ON CONFLICT(resource_id, metadata_version) DO UPDATE SET state = 'submitted', tx_key = excluded.tx_key`,
        resource.resource_id,
        resource.version,
        key,
      );
    });
    this.#log.info({ resourceId: resource.resource_id, version: resource.version }, "attestation submitted");
  }

  /** What this node checked about the resource, or null if the adapter cannot vouch for it. */
  async #check(resource: { resource_id: string; version: number; metadata_cid: string }) {
    const key = `${resource.resource_id}-${resource.version}`;
    if (this.#checked.has(key)) return this.#checked.get(key) ?? undefined;
    let result: Checked | null = null;
    const parsed = parseResourceMetadata(await this.#d.ipfs.cat(resource.metadata_cid, MAX_METADATA_BYTES));
    if (parsed.ok) {
      let adapter: Provisioner | undefined;
      try {
        adapter = this.#d.registry.forListing(parsed.value).adapter;
      } catch {
        // No adapter for this cloud here: nothing to vouch with.
      }
      if (adapter?.verify) {
        try {
          const { accountId } = await adapter.verify(parsed.value);
          result = {
            metadataVersion: resource.version,
            cloud: parsed.value.cloud,
            region: parsed.value.region,
            instanceType: resourceType(parsed.value),
            accountHash: keccak256(toHex(accountId)),
          };
        } catch (error) {
          // A listing the cloud contradicts is refused for this version, with the reason; a
          // failure that may pass (throttling, an outage) is tried again on the next round.
          if (!(error instanceof ProvisionerError) || error.retryable) throw error;
          this.#log.warn(
            { resourceId: resource.resource_id, reason: error.message },
            "listing refused by verification",
          );
        }
      }
    }
    this.#checked.set(key, result);
    return result ?? undefined;
  }

  #sign(a: Attestation): Promise<Hex> {
    const { chain } = this.#d;
    return chain.account.signTypedData({
      domain: verifierDomain(chain.chainId, chain.addresses.verifier) as { verifyingContract: Hex },
      types: attestationTypes,
      primaryType: "Attestation",
      message: a,
    });
  }

  #recover(a: Attestation, signature: Hex): Promise<string> {
    const { chain } = this.#d;
    return recoverTypedDataAddress({
      domain: verifierDomain(chain.chainId, chain.addresses.verifier) as { verifyingContract: Hex },
      types: attestationTypes,
      primaryType: "Attestation",
      message: a,
      signature,
    });
  }
}

function attestation(resourceId: bigint, c: Claims): Attestation {
  return {
    resourceId,
    metadataVersion: c.metadataVersion,
    cloud: c.cloud,
    region: c.region,
    instanceType: c.instanceType,
    accountHash: c.accountHash as Hex,
    issuedAt: BigInt(c.issuedAt),
    expiresAt: BigInt(c.expiresAt),
  };
}
