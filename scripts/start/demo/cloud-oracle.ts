/**
 * The oracle of the demo's aws, azure and gcp bookings. No cloud account is behind them on a local
 * stack, so no oracle node can provision them; the demo gives them a history with the oracle keys,
 * putting on chain what the oracle nodes put there, built with the sdk as a node builds it: access
 * details encrypted to the consumer's wallet-derived key, and provisioning confirmations and SLA
 * reports signed by a quorum of the oracle keys with the sdk's EIP-712 signing functions.
 */
import type { Address, Hex } from "viem";

import { ipfsAdd } from "@d-cloudx/devstack/ipfs-add";
import {
  type AccessDetails,
  type SlaReport,
  encryptAccessDetails,
  signProvisioning,
  signSlaReport,
} from "@d-cloudx/sdk";
import { resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";

import type { DemoChain } from "./chain.ts";
import { ORACLE } from "./listings.ts";

/** `oracleAccounts`: the unlocked accounts of the registered SLA signers. */
export async function cloudOracle(chain: DemoChain, ipfsApiUrl: string, oracleAccounts: number[]) {
  const marketplace = chain.contract("ResourceMarketplace");
  const sla = chain.contract("SLAEnforcement");
  // A quorum of the oracle accounts signs, in ascending address order as the contract requires.
  const quorum = await chain.client.readContract({ address: sla, abi: sLAEnforcementAbi, functionName: "quorum" });
  const signers = oracleAccounts
    .map((index) => chain.account(index))
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    .slice(0, quorum)
    .map((account) => {
      const wallet = chain.walletOf(account);
      return { signTypedData: (definition: object) => wallet.signTypedData({ ...definition, account } as never) };
    });
  const { chainId } = chain.deployment;
  let periodsReported = 0;

  return {
    get periodsReported() {
      return periodsReported;
    },

    /** Confirms a booking with SSH access details only its consumer (public key `consumerKey`) can decrypt. */
    async provision(bookingId: bigint, consumer: Address, consumerKey: Hex, host: string) {
      const details: AccessDetails = {
        protocol: "ssh",
        host,
        port: 22,
        user: "ubuntu",
        credentials: { kind: "password", secret: `demo-${bookingId}-${crypto.randomUUID()}` },
      };
      const envelope = encryptAccessDetails(consumerKey, details);
      const cid = await ipfsAdd(ipfsApiUrl, [{ path: "access.json", content: JSON.stringify(envelope) }]);
      const provisioning = { bookingId, consumer, accessDetailsCid: cid };
      const signatures = await Promise.all(
        signers.map((signer) => signProvisioning(signer, chainId, sla, provisioning)),
      );
      await chain.send(ORACLE, marketplace, resourceMarketplaceAbi, "confirmProvisioning", [
        bookingId,
        cid,
        signatures,
      ]);
    },

    /** Signs reports (each of a booking's consecutive periods) by a quorum and submits them in one batch. */
    async report(list: SlaReport[]) {
      const signatures: Hex[][] = [];
      for (const report of list) {
        signatures.push(await Promise.all(signers.map((signer) => signSlaReport(signer, chainId, sla, report))));
      }
      await chain.send(ORACLE, sla, sLAEnforcementAbi, "submitReports", [list, signatures]);
      periodsReported += list.reduce((periods, report) => periods + report.uptimeBps.length, 0);
    },
  };
}
