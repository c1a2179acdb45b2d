import { createHash } from "node:crypto";

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

/**
 * The first paint needs nothing but index.html, and the scripts load once it is on screen:
 * - the entry's stylesheet goes into index.html (the CSP allows inline styles, not inline scripts),
 *   so the static shell paints without a second round trip;
 * - the entry script and its preloads are started by a small deferred script after the first frame
 *   (or at once in a hidden tab, which paints no frames), so they do not compete with it.
 */
function shellFirst(): Plugin {
  return {
    name: "d-cloudx-shell-first",
    apply: "build",
    enforce: "post",
    generateBundle(_, bundle) {
      const html = bundle["index.html"];
      if (html?.type !== "asset") return;
      const scripts: string[] = [];
      let page = String(html.source)
        .replace(/<link rel="stylesheet"[^>]*href="\.\/(assets\/[^"]+\.css)"[^>]*>/g, (link, file: string) => {
          const css = bundle[file];
          if (css?.type !== "asset") return link;
          delete bundle[file];
          return `<style>${String(css.source)}</style>`;
        })
        .replace(
          /\s*<(?:script type="module"[^>]*src|link rel="modulepreload"[^>]*href)="([^"]+)"[^>]*>(?:<\/script>)?/g,
          (_, src: string) => {
            scripts.push(src);
            return "";
          },
        );
      const [entry, ...preloads] = scripts;
      if (!entry) throw new Error("index.html has no entry script");
      const boot = `const load = () => {
  for (const href of ${JSON.stringify(preloads)}) {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.crossOrigin = "";
    link.href = href;
    document.head.append(link);
  }
  import(${JSON.stringify(`./${entry.replace(/^\.\/assets\//, "")}`)}).catch(() => {
    const status = document.querySelector('[role="status"]');
    if (status) status.textContent = "The app could not be loaded: check your connection and reload the page.";
  });
};
if (document.visibilityState === "hidden") load();
else requestAnimationFrame(() => setTimeout(load));
`;
      const fileName = `assets/boot-${createHash("sha256").update(boot).digest("hex").slice(0, 8)}.js`;
      this.emitFile({ type: "asset", fileName, source: boot });
      page = page.replace("</head>", `  <script defer src="./${fileName}"></script>\n  </head>`);
      html.source = page;
    },
  };
}

// `base: "./"` and the hash router let the same build run from any IPFS gateway path (/ipfs/<cid>/).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "VITE_");
  return {
    base: "./",
    plugins: [react(), tailwindcss(), contentSecurityPolicy(env), shellFirst()],
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
