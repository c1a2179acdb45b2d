/**
 * Payment tokens and Chainlink feeds of the public networks D-CloudX deploys to. Feed addresses
 * are Chainlink's published proxies (data.chain.link); check heartbeats there before a mainnet
 * deployment, as a heartbeat shorter than the feed's own makes every booking revert as stale.
 */
export interface LiveToken {
  symbol: string;
  /** `0x000…0` for the native currency. */
  address: string;
  priceFeed: string;
  heartbeatSeconds: number;
}

export interface LiveNetwork {
  paymentTokens: LiveToken[];
  /** Chainlink L2 sequencer uptime feed, where the network has one. */
  sequencerUptimeFeed?: { address: string; gracePeriodSeconds: number };
}

const NATIVE = "0x0000000000000000000000000000000000000000";

export const LIVE_NETWORKS: Record<string, LiveNetwork> = {
  baseSepolia: {
    paymentTokens: [
      {
        symbol: "ETH",
        address: NATIVE,
        priceFeed: "0x4aDC67696bA383F43DD60A9e78F2C97Fbbfc7cb1",
        heartbeatSeconds: 3_600,
      },
      {
        symbol: "USDC",
        address: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        priceFeed: "0xd30e2101a97dcbAeBCBC04F14C3f624E67A35165",
        heartbeatSeconds: 86_400,
      },
    ],
  },
};
