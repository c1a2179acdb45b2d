import "@rainbow-me/rainbowkit/styles.css";
import "./index.css";

import { ApolloProvider } from "@apollo/client/react";
import { RainbowKitProvider, darkTheme } from "@rainbow-me/rainbowkit";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";

import { App } from "./App.tsx";
import { apolloClient } from "./apollo.ts";
import { ToastProvider } from "./lib/toasts.tsx";
import { chain, wagmiConfig } from "./wagmi.ts";

const queryClient = new QueryClient();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>
        <RainbowKitProvider theme={darkTheme()} initialChain={chain} modalSize="compact">
          <ApolloProvider client={apolloClient}>
            <ToastProvider>
              <App />
            </ToastProvider>
          </ApolloProvider>
        </RainbowKitProvider>
      </QueryClientProvider>
    </WagmiProvider>
  </StrictMode>,
);
