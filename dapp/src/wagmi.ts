/**
 * Wallet connection. Injected wallets only (MetaMask, Rabby, …: whatever the browser provides),
 * so the dApp makes no request off the machine; WalletConnect is added when a project id is
 * configured.
 */
import type { WalletDetailsParams } from "@rainbow-me/rainbowkit";
import { injectedWallet } from "@rainbow-me/rainbowkit/wallets";
import { type Chain, defineChain } from "viem";
import { hardhat } from "viem/chains";
import { createConfig, http } from "wagmi";

import { config } from "./config.ts";

export const chain: Chain =
  config.chainId === hardhat.id
    ? { ...hardhat, name: "D-CloudX local", rpcUrls: { default: { http: [config.rpcUrl] } } }
    : defineChain({
        id: config.chainId,
        name: config.deployment?.network ?? `Chain ${config.chainId}`,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [config.rpcUrl] } },
        blockExplorers: config.explorerUrl ? { default: { name: "Explorer", url: config.explorerUrl } } : undefined,
      });

const groupName = "Browser wallets";

/**
 * RainbowKit's injected wallet, with the details its modal lists it by: what `connectorsForWallets`
 * makes of `[injectedWallet]`. Importing that function would put all of RainbowKit's UI into the
 * entry chunk; this keeps it in the chunk that loads with the connect button.
 */
function browserWallet() {
  const { createConnector, ...details } = injectedWallet();
  const rkDetails = { ...details, groupName, groupIndex: 1, index: 0, isRainbowKitConnector: true };
  return createConnector({ rkDetails } as WalletDetailsParams);
}

const projectId = config.walletConnectProjectId;
const connectors = projectId
  ? (await import("./walletConnect.ts")).walletConnectors(groupName, projectId)
  : [browserWallet()];

export const wagmiConfig = createConfig({
  chains: [chain],
  connectors,
  transports: { [chain.id]: http(config.rpcUrl, { batch: true }) },
  multiInjectedProviderDiscovery: false,
  pollingInterval: chain.id === hardhat.id ? 1_000 : 4_000,
});

declare module "wagmi" {
  interface Register {
    config: typeof wagmiConfig;
  }
}
