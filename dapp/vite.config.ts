import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { type Plugin, defineConfig, loadEnv } from "vite";

/** Origins the page may connect to, for the Content-Security-Policy in index.html. */
function contentSecurityPolicy(env: Record<string, string>): Plugin {
  const origin = (value: string | undefined, fallback: string) => new URL(value?.trim() || fallback).origin;
  const gateway = origin(env.VITE_IPFS_GATEWAY_URL, "http://127.0.0.1:5001");
  const rpc = origin(env.VITE_RPC_URL, "http://127.0.0.1:8545");
  const connect = new Set([
    rpc,
    // Event subscriptions (src/lib/chainEvents.ts): the RPC's WebSocket endpoint unless set apart.
    origin(env.VITE_RPC_WS_URL, rpc.replace(/^http/, "ws")),
    origin(env.VITE_SUBGRAPH_URL, "http://127.0.0.1:8000"),
    origin(env.VITE_IPFS_API_URL, "http://127.0.0.1:5001"),
    gateway,
  ]);
  if (env.VITE_WALLETCONNECT_PROJECT_ID) {
    for (const host of [
      "https://*.walletconnect.com",
      "wss://*.walletconnect.com",
      "https://*.walletconnect.org",
      "wss://*.walletconnect.org",
    ]) {
      connect.add(host);
    }
  }
  // The subgraph answers the marketplace's first query and the chain the first reads.
  const preconnect = [
    origin(env.VITE_SUBGRAPH_URL, "http://127.0.0.1:8000"),
    origin(env.VITE_RPC_URL, "http://127.0.0.1:8545"),
  ]
    .map((href) => `<link rel="preconnect" href="${href}" crossorigin />`)
    .join("\n    ");
  return {
    name: "d-cloudx-csp",
    transformIndexHtml: (html) =>
      html
        .replace("%DCX_CONNECT_SRC%", [...connect].join(" "))
        .replace("%DCX_IPFS_GATEWAY%", gateway)
        .replace("%DCX_PRECONNECT%", preconnect),
  };
}

// `base: "./"` and the hash router let the same build run from any IPFS gateway path (/ipfs/<cid>/).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "VITE_");
  return {
    base: "./",
    plugins: [react(), tailwindcss(), contentSecurityPolicy(env)],
    server: { host: "127.0.0.1", port: Number(process.env.DAPP_PORT ?? 5173), strictPort: true },
    preview: { host: "127.0.0.1", port: Number(process.env.DAPP_PORT ?? 4173), strictPort: true },
    build: { target: "es2022" },
    test: {
      environment: "jsdom",
      include: ["test/**/*.test.{ts,tsx}"],
      setupFiles: ["test/setup.ts"],
    },
  };
});
