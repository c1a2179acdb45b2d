/**
 * Where the dApp finds the chain, the subgraph and IPFS: build-time environment (VITE_*), with
 * defaults for the local stack. The deployment (addresses, payment tokens, chain id) is generated
 * from deployments/<network>.json by `npm run generate`.
 */
import { deployment } from "./generated/deployment.ts";

const env = import.meta.env;

function url(value: string | undefined, fallback: string): string {
  return (value?.trim() || fallback).replace(/\/+$/, "");
}

const rpcUrl = url(env.VITE_RPC_URL, "http://127.0.0.1:8545");

export const config = {
  deployment,
  chainId: deployment?.chainId ?? 31337,
  rpcUrl,
  /** Where to subscribe to contract events; the RPC URL's own WebSocket endpoint unless set. */
  rpcWsUrl: url(env.VITE_RPC_WS_URL, rpcUrl.replace(/^http/, "ws")),
  subgraphUrl: url(env.VITE_SUBGRAPH_URL, "http://127.0.0.1:8000/subgraphs/name/d-cloudx"),
  ipfsApiUrl: url(env.VITE_IPFS_API_URL, "http://127.0.0.1:5001"),
  ipfsGatewayUrl: url(env.VITE_IPFS_GATEWAY_URL, "http://127.0.0.1:5001"),
  explorerUrl: env.VITE_EXPLORER_URL ? url(env.VITE_EXPLORER_URL, "") : undefined,
  walletConnectProjectId: env.VITE_WALLETCONNECT_PROJECT_ID?.trim() || undefined,
} as const;
