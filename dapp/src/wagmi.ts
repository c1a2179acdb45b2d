/**
 * Wallet connection. Injected wallets only (MetaMask, Rabby, …: whatever the browser provides),
 * so the dApp makes no request off the machine; WalletConnect is added when a project id is
 * configured.
 */
import { connectorsForWallets } from "@rainbow-me/rainbowkit";
import { injectedWallet, metaMaskWallet, rabbyWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
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

const projectId = config.walletConnectProjectId;
const connectors = connectorsForWallets(
  [
    {
      groupName: "Browser wallets",
      wallets: projectId ? [injectedWallet, metaMaskWallet, rabbyWallet, walletConnectWallet] : [injectedWallet],
    },
  ],
  { appName: "D-CloudX", projectId: projectId ?? "none" },
);

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
