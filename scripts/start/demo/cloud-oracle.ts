/**
 * The oracle of the demo's aws, azure and gcp bookings. No cloud account is behind them on a local
 * stack, so no oracle node can provision them; the demo gives them a history with the oracle key
 * (#2), putting on chain what an oracle node puts there, built with the sdk as the node builds it:
 * access details encrypted to the consumer's wallet-derived key, and SLA reports signed with the
 * contracts' EIP-712 domain and types.
 */
import type { Hex } from "viem";

import { ipfsAdd } from "@d-cloudx/devstack/ipfs-add";
import { type AccessDetails, type SlaReport, encryptAccessDetails, slaDomain, slaReportTypes } from "@d-cloudx/sdk";
import { resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";

import type { DemoChain } from "./chain.ts";
import { ORACLE } from "./listings.ts";

export function cloudOracle(chain: DemoChain, ipfsApiUrl: string) {
  const marketplace = chain.contract("ResourceMarketplace");
  const sla = chain.contract("SLAEnforcement");
  const signer = chain.wallet(ORACLE);
  let reports = 0;

  return {
    get reports() {
      return reports;
    },

    /** Confirms a booking with SSH access details only its consumer (public key `consumerKey`) can decrypt. */
    async provision(bookingId: bigint, consumerKey: Hex, host: string) {
      const details: AccessDetails = {
        protocol: "ssh",
        host,
        port: 22,
        user: "ubuntu",
        credentials: { kind: "password", secret: `demo-${bookingId}-${crypto.randomUUID()}` },
      };
      const envelope = encryptAccessDetails(consumerKey, details);
      const cid = await ipfsAdd(ipfsApiUrl, [{ path: "access.json", content: JSON.stringify(envelope) }]);
      await chain.send(ORACLE, marketplace, resourceMarketplaceAbi, "confirmProvisioning", [bookingId, cid]);
    },

    /** Signs period reports and submits them in one batch. */
    async report(list: SlaReport[]) {
      const signatures: Hex[][] = [];
      for (const message of list) {
        const domain = slaDomain(chain.deployment.chainId, sla) as { verifyingContract: Hex };
        signatures.push([
          await signer.signTypedData({ domain, types: slaReportTypes, primaryType: "SlaReport", message }),
        ]);
      }
      await chain.send(ORACLE, sla, sLAEnforcementAbi, "submitReports", [list, signatures]);
      reports += list.length;
    },
  };
}
