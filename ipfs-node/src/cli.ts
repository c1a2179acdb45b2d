import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { DEFAULT_MAX_UPLOAD_BYTES, startIpfsNode } from "./server.ts";

/**
 * `npm start -w ipfs-node`: the local IPFS node, configured from the environment:
 *   IPFS_API_HOST (127.0.0.1), IPFS_API_PORT (5001), IPFS_DATA_DIR (<repository>/.data/ipfs),
 *   IPFS_MAX_UPLOAD_BYTES (32 MiB), IPFS_API_CORS_ORIGINS (comma-separated, "*" for any; default:
 *   pages on localhost).
 */
const env = process.env;
const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

function integer(name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    console.error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

// npm runs workspace scripts inside the workspace: a relative folder means relative to where npm was run.
const dataDir = env.IPFS_DATA_DIR
  ? resolve(env.INIT_CWD ?? process.cwd(), env.IPFS_DATA_DIR)
  : resolve(repositoryRoot, ".data/ipfs");

const node = await startIpfsNode({
  dataDir,
  host: env.IPFS_API_HOST || "127.0.0.1",
  port: integer("IPFS_API_PORT", 5001, 0, 65535),
  maxUploadBytes: integer("IPFS_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, 1, Number.MAX_SAFE_INTEGER),
  apiCorsOrigins: env.IPFS_API_CORS_ORIGINS?.split(",")
    .map((origin) => origin.trim())
    .filter(Boolean),
});
console.log(`IPFS RPC API: ${node.url}/api/v0  gateway: ${node.url}/ipfs/<cid>  data: ${node.dataDir}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
