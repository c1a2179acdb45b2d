/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** JSON-RPC endpoint of the chain (default: the local Hardhat node). */
  readonly VITE_RPC_URL?: string;
  /** WebSocket JSON-RPC endpoint for event subscriptions (default: VITE_RPC_URL as ws://); polling if unreachable. */
  readonly VITE_RPC_WS_URL?: string;
  /** GraphQL endpoint of the D-CloudX subgraph. */
  readonly VITE_SUBGRAPH_URL?: string;
  /** IPFS RPC API used to add listing metadata (Kubo's /api/v0). */
  readonly VITE_IPFS_API_URL?: string;
  /** IPFS gateway used to read metadata and access details (path gateway: <url>/ipfs/<cid>). */
  readonly VITE_IPFS_GATEWAY_URL?: string;
  /** Block explorer base URL for transaction links; without one the dApp shows its own transaction page. */
  readonly VITE_EXPLORER_URL?: string;
  /** WalletConnect project id; without one only injected wallets are offered. */
  readonly VITE_WALLETCONNECT_PROJECT_ID?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
