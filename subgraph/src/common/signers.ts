import { Address, ethereum } from "@graphprotocol/graph-ts";

import { OracleSigner } from "../../generated/schema";

/**
 * SLAEnforcement and ResourceVerifier keep their signer sets alike (QuorumSigned): a signer's id is
 * the contract's address and its own, and `role` says which set it is in.
 */
function getSigner(event: ethereum.Event, address: Address, role: string): OracleSigner {
  const id = event.address.concat(address);
  let signer = OracleSigner.load(id);
  if (signer == null) {
    signer = new OracleSigner(id);
    signer.role = role;
    signer.address = address;
    signer.active = false;
    signer.addedAt = event.block.timestamp;
  }
  return signer;
}

export function recordSignerAdded(event: ethereum.Event, address: Address, role: string): void {
  const signer = getSigner(event, address, role);
  signer.active = true;
  signer.addedAt = event.block.timestamp;
  signer.removedAt = null;
  signer.save();
}

export function recordSignerRemoved(event: ethereum.Event, address: Address, role: string): void {
  const signer = getSigner(event, address, role);
  signer.active = false;
  signer.removedAt = event.block.timestamp;
  signer.save();
}
