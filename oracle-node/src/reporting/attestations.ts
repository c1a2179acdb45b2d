/**
 * Resource attestations for the verifier contract: for each served resource's current metadata
 * version, the cloud adapter checks the resource can be provided from this account (`verify`), and
 * the node signs what it checked (cloud, region, instance type, a hash of the account) with the
 * configured verifiers through the same agreement as SLA reports. A quorum-signed attestation is
 * submitted once (`attest-<resourceId>-<version>`), and renewed when a quarter of its validity is left.
 */
import { type Hex, encodeFunctionData, keccak256, toHex } from "viem";

import {
  type Attestation,
  MAX_METADATA_BYTES,
  parseResourceMetadata,
  recoverAttestationSigner,
  resourceType,
  signAttestation,
  ResourceStatus,
} from "@d-cloudx/sdk";
import { resourceMarketplaceAbi, resourceVerifierAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { ContentStore } from "../ipfs.ts";
import type { Logger } from "../log.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import { type Provisioner, ProvisionerError } from "../provisioners/types.ts";
import type { Store } from "../store/index.ts";
import type { ResourceVersion } from "../store/resources.ts";
import type { TxOutbox } from "../tx/outbox.ts";
import type { Agreement } from "./agreement.ts";
import type { Figures } from "./board.ts";
import type { TopicKind } from "./board.ts";

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
  store: Store;
  chain: ChainContext;
  outbox: TxOutbox;
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

  constructor(deps: AttestorDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "attestor" });
  }

  async tick(): Promise<void> {
    const { store, chain, outbox } = this.#d;
    const now = chain.clock.nowSeconds();
    for (const resource of store.resources.latest()) {
      const record = store.attestations.get(resource.resourceId, resource.version);
      const renewAt = record?.expiresAt ? record.expiresAt - this.#d.validitySeconds / 4 : 0;
      if (record?.state === "verified" && now < renewAt) continue;
      if (record?.state === "failed") continue;
      if (record?.state === "submitted" && record.txKey) {
        const outcome = outbox.outcome(record.txKey);
        if (outcome.status === "failed") {
          store.attestations.failed(resource.resourceId, resource.version);
          this.#log.warn({ resourceId: resource.resourceId, error: outcome.reason }, "attestation refused");
        }
        continue;
      }
      try {
        await this.#attest(resource, now);
      } catch (error) {
        this.#log.warn({ resourceId: resource.resourceId, error: describeError(error) }, "attestation not made");
      }
    }
  }

  async #attest(resource: ResourceVersion, now: number): Promise<void> {
    const { store, chain, outbox, agreement } = this.#d;
    const resourceId = BigInt(resource.resourceId);
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
    const topic = `attestation-${resource.resourceId}-${resource.version}`;
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
    });
    const quorum = await chain.client.readContract({
      address: chain.addresses.verifier,
      abi: resourceVerifierAbi,
      functionName: "quorum",
    });
    if (!agreed || agreed.signatures.length < quorum) return;
    const key = `attest-${resource.resourceId}-${resource.version}-${agreed.figures.issuedAt}`;
    const data = encodeFunctionData({
      abi: resourceVerifierAbi,
      functionName: "submitAttestation",
      args: [attestation(resourceId, agreed.figures), agreed.signatures.map((s) => s.signature)],
    });
    store.transaction(() => {
      outbox.submit(key, { to: chain.addresses.verifier, data });
      store.attestations.submitted(resource.resourceId, resource.version, key);
    });
    this.#log.info({ resourceId: resource.resourceId, version: resource.version }, "attestation submitted");
  }

  /** What this node checked about the resource, or null if the adapter cannot vouch for it. */
  async #check(resource: ResourceVersion) {
    const key = `${resource.resourceId}-${resource.version}`;
    if (this.#checked.has(key)) return this.#checked.get(key) ?? undefined;
    let result: Checked | null = null;
    const parsed = parseResourceMetadata(await this.#d.ipfs.cat(resource.metadataCid, MAX_METADATA_BYTES));
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
          this.#log.warn({ resourceId: resource.resourceId, reason: error.message }, "listing refused by verification");
        }
      }
    }
    this.#checked.set(key, result);
    return result ?? undefined;
  }

  #sign(a: Attestation): Promise<Hex> {
    const { chain } = this.#d;
    return signAttestation(chain.account, chain.chainId, chain.addresses.verifier, a);
  }

  /** Attestation topics: `attestation-<resourceId>-<version>`, open while that version is the resource's latest. */
  topicKind(): TopicKind {
    const { chain, store } = this.#d;
    return {
      recover: async (topic, claims, signature) => {
        if (!isClaims(claims)) return undefined;
        return this.#recover(attestation(BigInt(topic.split("-")[1]!), claims), signature);
      },
      isSigner: (signer) => store.signers.has(chain.addresses.verifier, signer),
      isOpen: (topic) => {
        const [, resourceId, version] = topic.split("-");
        return store.resources.latest().some((r) => r.resourceId === resourceId && r.version === Number(version));
      },
    };
  }

  #recover(a: Attestation, signature: Hex): Promise<string> {
    const { chain } = this.#d;
    return recoverAttestationSigner(chain.chainId, chain.addresses.verifier, a, signature);
  }
}

function isClaims(c: Figures): c is Claims {
  const strings = ["cloud", "region", "instanceType", "accountHash", "issuedAt", "expiresAt"] as const;
  return (
    Object.keys(c).length === 7 &&
    Number.isInteger(c.metadataVersion) &&
    strings.every((k) => typeof c[k] === "string") &&
    /^0x[0-9a-f]{64}$/.test(c.accountHash as string) &&
    /^[0-9]{1,20}$/.test(c.issuedAt as string) &&
    /^[0-9]{1,20}$/.test(c.expiresAt as string)
  );
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
