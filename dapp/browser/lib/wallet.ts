/**
 * A test wallet: an EIP-1193 provider injected into the page before any script runs. It answers
 * the account and chain itself and forwards everything else (transactions, personal_sign,
 * eth_signTypedData_v4) to the Hardhat node, whose accounts are unlocked — so the dApp goes through
 * exactly the requests a real browser wallet receives. RainbowKit offers it as "Browser Wallet".
 */
import type { Page } from "playwright-core";

export interface WalletOptions {
  rpcUrl: string;
  chainId: number;
  account: string;
}

/** Installs `window.ethereum` for `account` on every document the page loads. */
export async function injectWallet(page: Page, options: WalletOptions): Promise<void> {
  await page.addInitScript((wallet: WalletOptions) => {
    const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
    let nextId = 1;
    const chainIdHex = `0x${wallet.chainId.toString(16)}`;
    const AUTHORIZED = "test-wallet:authorized";
    const rpc = async (method: string, params: unknown) => {
      const response = await fetch(wallet.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params ?? [] }),
      });
      const body = (await response.json()) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    };
    const provider = {
      isMetaMask: false,
      async request({ method, params }: { method: string; params?: unknown }) {
        switch (method) {
          case "eth_chainId":
            return chainIdHex;
          case "net_version":
            return String(wallet.chainId);
          // Like a real wallet, accounts are exposed only once this origin has asked for them.
          case "eth_accounts":
            return localStorage.getItem(AUTHORIZED) ? [wallet.account] : [];
          case "eth_requestAccounts":
            localStorage.setItem(AUTHORIZED, "1");
            return [wallet.account];
          case "wallet_requestPermissions":
            return [{ parentCapability: "eth_accounts" }];
          case "wallet_getPermissions":
            return [{ parentCapability: "eth_accounts" }];
          case "wallet_switchEthereumChain":
          case "wallet_addEthereumChain":
          case "wallet_watchAsset":
            return null;
          default:
            return rpc(method, params);
        }
      },
      on(event: string, listener: (...args: unknown[]) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return provider;
      },
      removeListener(event: string, listener: (...args: unknown[]) => void) {
        listeners.get(event)?.delete(listener);
        return provider;
      },
    };
    Object.defineProperty(window, "ethereum", { value: provider, configurable: true });
  }, options);
}
