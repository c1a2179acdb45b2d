import type { PaymentTokenDeployment } from "@d-cloudx/sdk";
import type { MockERC20, MockV3Aggregator, PriceOracle } from "../../types/ethers-contracts/index.ts";
import { type Connection, send } from "./core.ts";

const FEED_DECIMALS = 8;
/** Feeds on local chains are only updated by hand, so they may be old: one day of heartbeat. */
const LOCAL_HEARTBEAT_SECONDS = 86_400;

export interface LocalToken {
  symbol: string;
  decimals: number;
  /** USD price with 8 decimals. */
  priceE8: bigint;
}

/** Payment tokens of local chains: the native currency and two mock stablecoins of different decimals. */
export const LOCAL_TOKENS: LocalToken[] = [
  { symbol: "ETH", decimals: 18, priceE8: 3_000n * 10n ** 8n },
  { symbol: "USDC", decimals: 6, priceE8: 10n ** 8n },
  { symbol: "DAI", decimals: 18, priceE8: 10n ** 8n },
];

export interface LocalPaymentToken extends PaymentTokenDeployment {
  token?: MockERC20;
  feed: MockV3Aggregator;
}

/**
 * Deploys a mock ERC-20 (except for ETH) and a Chainlink `MockV3Aggregator` per local token and
 * registers them in the PriceOracle. Local networks only.
 */
export async function deployLocalPaymentTokens(
  connection: Connection,
  priceOracle: PriceOracle,
): Promise<LocalPaymentToken[]> {
  const { ethers } = connection;
  const deployed: LocalPaymentToken[] = [];
  for (const { symbol, decimals, priceE8 } of LOCAL_TOKENS) {
    const feed = await ethers.deployContract("MockV3Aggregator", [FEED_DECIMALS, priceE8]);
    const token =
      symbol === "ETH" ? undefined : await ethers.deployContract("MockERC20", [`Mock ${symbol}`, symbol, decimals]);
    const address = token ? await token.getAddress() : ethers.ZeroAddress;
    await send(priceOracle.setPaymentToken(address, await feed.getAddress(), LOCAL_HEARTBEAT_SECONDS));
    const { id } = await priceOracle.paymentToken(address);
    deployed.push({
      symbol,
      address,
      decimals,
      tokenId: Number(id),
      priceFeed: await feed.getAddress(),
      token,
      feed,
    });
  }
  return deployed;
}
