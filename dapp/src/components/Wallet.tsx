/**
 * RainbowKit's provider, modals and connect button. Loaded on demand, so the marketplace (the landing
 * page) renders without waiting for them: there the header's button loads them after the first paint;
 * every other page is rendered inside `WalletScope`, where pages may use RainbowKit's components too.
 */
import "@rainbow-me/rainbowkit/styles.css";

import { ConnectButton, RainbowKitProvider, darkTheme } from "@rainbow-me/rainbowkit";
import type { ReactNode } from "react";

import { chain } from "../wagmi.ts";
import { Layout } from "./Layout.tsx";

function Provider({ children }: { children: ReactNode }) {
  return (
    <RainbowKitProvider theme={darkTheme()} initialChain={chain} modalSize="compact">
      {children}
    </RainbowKitProvider>
  );
}

const button = <ConnectButton chainStatus="icon" showBalance={false} accountStatus="address" />;

/** The header's connect button on pages outside `WalletScope`. */
export default function WalletButton() {
  return <Provider>{button}</Provider>;
}

/** The layout with RainbowKit around the header and the page. */
export function WalletScope() {
  return (
    <Provider>
      <Layout wallet={button} />
    </Provider>
  );
}
