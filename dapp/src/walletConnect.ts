/** The wallets offered when a WalletConnect project id is configured (loaded only then: see wagmi.ts). */
import { connectorsForWallets } from "@rainbow-me/rainbowkit";
import { injectedWallet, metaMaskWallet, rabbyWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";

export function walletConnectors(groupName: string, projectId: string) {
  return connectorsForWallets(
    [{ groupName, wallets: [injectedWallet, metaMaskWallet, rabbyWallet, walletConnectWallet] }],
    { appName: "D-CloudX", projectId },
  );
}
