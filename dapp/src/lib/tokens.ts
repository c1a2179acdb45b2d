/**
 * Payment tokens as the subgraph indexes them from the PriceOracle (symbol, name and decimals read
 * from each token): a token the DAO adds can be booked as soon as it is indexed, with no rebuild.
 * Queries that show a token amount select the token with `PaymentTokenFields`.
 */
import { useQuery } from "@apollo/client/react";
import { type Address, zeroAddress } from "viem";

import { graphql } from "../generated/gql/index.ts";
import type { PaymentTokenFieldsFragment } from "../generated/gql/graphql.ts";
import { shortenAddress } from "./format.ts";

export const PaymentTokenFields = graphql(`
  fragment PaymentTokenFields on PaymentToken {
    id
    tokenId
    symbol
    name
    decimals
    enabled
  }
`);

const PaymentTokensQuery = graphql(`
  query PaymentTokens {
    paymentTokens(orderBy: tokenId, first: 64) {
      ...PaymentTokenFields
    }
  }
`);

export interface PaymentToken {
  address: Address;
  /** The PriceOracle's id (bit index in accepted-token masks); -1 until the token is configured. */
  tokenId: number;
  symbol: string;
  name: string;
  decimals: number;
  /** Whether new payments in it are accepted. */
  enabled: boolean;
}

/** A token as the dApp shows it; a token without an ERC-20 symbol is named by its address. */
export function paymentToken(fields: PaymentTokenFieldsFragment): PaymentToken {
  const symbol = fields.symbol?.trim() || shortenAddress(fields.id);
  return {
    address: fields.id as Address,
    tokenId: fields.tokenId ?? -1,
    symbol,
    name: fields.name?.trim() || symbol,
    decimals: fields.decimals ?? 18,
    enabled: fields.enabled,
  };
}

/** Every token the PriceOracle has configured, enabled or not, in id order. */
export function usePaymentTokens() {
  const { data, loading, error } = useQuery(PaymentTokensQuery);
  const tokens = (data?.paymentTokens ?? []).filter((token) => token.tokenId != null).map(paymentToken);
  return { tokens, loading: loading && !data, error };
}

export const isNative = (token: Pick<PaymentToken, "address">) => token.address === zeroAddress;

export const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
