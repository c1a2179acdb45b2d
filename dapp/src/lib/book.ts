/**
 * Booking a resource, as every booking screen does it: the chain's status and terms checked again
 * at signing time, the consumer's access key, the SLA shown as the least accepted, and payment in
 * ETH, with a DCX permit, or after an approval.
 */
import type { Address } from "viem";

import {
  resourceMarketplaceAddress,
  simulateResourceMarketplaceBook,
  simulateResourceMarketplaceBookWithPermit,
} from "../generated/contracts.ts";
import { bookingIdFromReceipt } from "../pages/resource/booking.ts";
import { chain, wagmiConfig } from "../wagmi.ts";
import { accessKeyPair } from "./accessKey.ts";
import { approveEscrow, isPermitToken, permitEscrow } from "./escrowPayment.ts";
import { type ShownTerms, checkBookable } from "./sources.ts";
import { type PaymentToken, isNative } from "./tokens.ts";
import type { useTransaction } from "./tx.tsx";

const market = resourceMarketplaceAddress[chain.id as keyof typeof resourceMarketplaceAddress] as Address;

export type Booked =
  /** The chain no longer allows it, in words (nothing was signed). */
  | { problem: string }
  /** The new booking, or no id when a transaction was cancelled or failed (its TxStatus says so). */
  | { bookingId?: bigint };

/**
 * Books `hours` of the resource shown as `terms`, paying at most `max` of `token`. A declined
 * signature (access key or permit) throws; transactions report through `approveTx` and `bookTx`.
 */
export async function bookResource(params: {
  terms: ShownTerms;
  hours: number;
  token: PaymentToken;
  max: bigint;
  account: Address;
  approveTx: ReturnType<typeof useTransaction>;
  bookTx: ReturnType<typeof useTransaction>;
}): Promise<Booked> {
  const { terms, hours, token, max, account, approveTx, bookTx } = params;
  const changed = await checkBookable(terms, hours, token.tokenId);
  if (changed) return { problem: changed };
  const { publicKeyHex } = await accessKeyPair();
  // The SLA shown is the least the consumer accepts: if the provider loosens it before the booking
  // lands, the booking reverts instead of settling by looser terms.
  const minSla = { uptimeTargetBps: terms.uptimeTargetBps, maxLatencyMs: terms.maxLatencyMs };
  const args = [terms.id, hours, token.address, max, minSla, publicKeyHex] as const;
  let receipt;
  if (isNative(token)) {
    // Any value above the price is returned by the marketplace.
    receipt = await bookTx.send(() => simulateResourceMarketplaceBook(wagmiConfig, { args, value: max, account }));
  } else if (isPermitToken(token)) {
    const permit = await permitEscrow(account, token.address, max);
    receipt = await bookTx.send(() =>
      simulateResourceMarketplaceBookWithPermit(wagmiConfig, { args: [...args, permit], account }),
    );
  } else {
    if (!(await approveEscrow(approveTx, account, token.address, max))) return {};
    receipt = await bookTx.send(() => simulateResourceMarketplaceBook(wagmiConfig, { args, account }));
  }
  return { bookingId: receipt ? bookingIdFromReceipt(receipt, market) : undefined };
}
