import "./index.css";

import { ApolloProvider } from "@apollo/client/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, startTransition } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";

import { App } from "./App.tsx";
import { apolloClient } from "./apollo.ts";
import { ToastProvider } from "./lib/toasts.tsx";
import { wagmiConfig } from "./wagmi.ts";

const queryClient = new QueryClient();

const root = createRoot(document.getElementById("root")!);
// A transition: React renders the app in slices between which the browser stays responsive (the
// static shell of index.html is on screen meanwhile) instead of in one long task.
startTransition(() =>
  root.render(
    <StrictMode>
      <WagmiProvider config={wagmiConfig}>
        <QueryClientProvider client={queryClient}>
          <ApolloProvider client={apolloClient}>
            <ToastProvider>
              <App />
            </ToastProvider>
          </ApolloProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </StrictMode>,
  ),
);
