import { zeroAddress } from "viem";

import { config } from "../../config.ts";

export interface TokenInfo {
  address: string;
  symbol: string;
  decimals: number;
}

/** A payment token by address: symbol and decimals from the deployment, else what the subgraph knows. */
export function tokenInfo(address: string, subgraphDecimals?: number | null): TokenInfo {
  const known = config.deployment?.paymentTokens.find((token) => token.address.toLowerCase() === address.toLowerCase());
  if (known) return { address, symbol: known.symbol, decimals: known.decimals };
  return {
    address,
    symbol: address === zeroAddress ? "ETH" : `${address.slice(0, 6)}…`,
    decimals: subgraphDecimals ?? 18,
  };
}
