/** The deployment's payment tokens, looked up by address (the subgraph lowercases them). */
import { type Address, zeroAddress } from "viem";

import { config } from "../../config.ts";

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

export function tokenOf(address: string): PaymentToken {
  return (
    paymentTokens.find((token) => token.address.toLowerCase() === address.toLowerCase()) ?? {
      symbol: "?",
      address: address as Address,
      decimals: 18,
    }
  );
}

export const isNative = (token: PaymentToken) => token.address === zeroAddress;
