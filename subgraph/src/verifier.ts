import { log } from "@graphprotocol/graph-ts";

import { Resource, ResourceVerification } from "../generated/schema";
import {
  MaxValidityUpdated,
  QuorumUpdated,
  ResourceVerified,
  SignerAdded,
  SignerRemoved,
  VerificationRevoked,
} from "../generated/ResourceVerifier/ResourceVerifier";
import { getProtocol } from "./common/entities";
import { eventId } from "./common/ids";
import { recordSignerAdded, recordSignerRemoved } from "./common/signers";

const ROLE = "RESOURCE_VERIFIER";

export function handleResourceVerified(event: ResourceVerified): void {
  const params = event.params;
  const resource = Resource.load(params.resourceId.toI64());
  if (resource == null) {
    log.warning("ResourceVerified for unknown resource {}: ignored", [params.resourceId.toString()]);
    return;
  }
  const verification = new ResourceVerification(eventId(event));
  verification.resource = resource.id;
  verification.metadataVersion = params.metadataVersion.toI32();
  verification.cloud = params.cloud;
  verification.region = params.region;
  verification.instanceType = params.instanceType;
  verification.accountHash = params.accountHash;
  verification.issuedAt = params.issuedAt;
  verification.expiresAt = params.expiresAt;
  verification.revoked = false;
  verification.timestamp = event.block.timestamp;
  verification.blockNumber = event.block.number;
  verification.transactionHash = event.transaction.hash;
  verification.save();

  resource.verification = verification.id;
  resource.verifiedMetadataVersion = verification.metadataVersion;
  resource.verificationRevoked = false;
  // The verifier only accepts attestations of the resource's current metadata version.
  resource.verifiedUntil = params.expiresAt;
  resource.save();
}

export function handleVerificationRevoked(event: VerificationRevoked): void {
  const resource = Resource.load(event.params.resourceId.toI64());
  if (resource == null) {
    log.warning("VerificationRevoked for unknown resource {}: ignored", [event.params.resourceId.toString()]);
    return;
  }
  const id = resource.verification;
  if (id === null) {
    log.warning("VerificationRevoked for resource {}, which has no verification: ignored", [
      event.params.resourceId.toString(),
    ]);
    return;
  }
  const verification = ResourceVerification.load(id)!;
  verification.revoked = true;
  verification.revokedAt = event.block.timestamp;
  verification.revokedBy = event.params.by;
  verification.revocationReason = event.params.reason;
  verification.save();
  resource.verificationRevoked = true;
  resource.save();
}

export function handleSignerAdded(event: SignerAdded): void {
  recordSignerAdded(event, event.params.signer, ROLE);
}

export function handleSignerRemoved(event: SignerRemoved): void {
  recordSignerRemoved(event, event.params.signer, ROLE);
}

export function handleQuorumUpdated(event: QuorumUpdated): void {
  const protocol = getProtocol();
  protocol.verifierQuorum = event.params.quorum;
  protocol.save();
}

export function handleMaxValidityUpdated(event: MaxValidityUpdated): void {
  const protocol = getProtocol();
  protocol.verifierMaxValiditySeconds = event.params.maxValiditySeconds;
  protocol.save();
}
