/** The deployment's payment tokens, looked up by address (the subgraph lowercases them). */
import { type Address, zeroAddress } from "viem";

import { config } from "../config.ts";

export interface PaymentToken {
  symbol: string;
  address: Address;
  decimals: number;
}

export const paymentTokens: PaymentToken[] = (config.deployment?.paymentTokens ?? []).map((token) => ({
  symbol: token.symbol,
  address: token.address as Address,
  decimals: token.decimals,
}));

/**
 * A payment token by address; one the deployment does not list (since disabled, say) is named by its
 * address, with the decimals the subgraph knows.
 */
export function tokenOf(address: string, subgraphDecimals?: number | null): PaymentToken {
  return (
    paymentTokens.find((token) => token.address.toLowerCase() === address.toLowerCase()) ?? {
      symbol: address === zeroAddress ? "ETH" : `${address.slice(0, 6)}…`,
      address: address as Address,
      decimals: subgraphDecimals ?? 18,
    }
  );
}

export const isNative = (token: PaymentToken) => token.address === zeroAddress;
