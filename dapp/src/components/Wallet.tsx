/**
 * RainbowKit's provider, modals and connect button. Loaded on demand, so the marketplace (the landing
 * page) renders without them: there they load when the visitor asks to connect a wallet, or when a
 * wallet is already connected; every other page is rendered inside `WalletScope`, where pages may use
 * RainbowKit's components too.
 */
import "@rainbow-me/rainbowkit/styles.css";

import { ConnectButton, RainbowKitProvider, darkTheme, useConnectModal } from "@rainbow-me/rainbowkit";
import { type ReactNode, useEffect, useRef } from "react";

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

/** Opens the connect modal once it is ready: the visitor's click loaded this module. */
function OpenConnectModal() {
  const { openConnectModal } = useConnectModal();
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || !openConnectModal) return;
    opened.current = true;
    openConnectModal();
  }, [openConnectModal]);
  return null;
}

/** The header's connect button on pages outside `WalletScope`; `open`: open the connect modal at once. */
export default function WalletButton({ open = false }: { open?: boolean }) {
  return (
    <Provider>
      {button}
      {open && <OpenConnectModal />}
    </Provider>
  );
}

/** The layout with RainbowKit around the header and the page. */
export function WalletScope() {
  return (
    <Provider>
      <Layout wallet={button} />
    </Provider>
  );
}
