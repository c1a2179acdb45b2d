/**
 * The local stack's default ports, each changeable by the environment variable of its name. Every
 * service binds 127.0.0.1.
 */
export const DEFAULT_PORTS = {
  CHAIN_PORT: 8545,
  IPFS_API_PORT: 5001,
  POSTGRES_PORT: 5433,
  GRAPH_HTTP_PORT: 8000,
  GRAPH_INDEX_NODE_PORT: 8030,
  GRAPH_ADMIN_PORT: 8020,
  GRAPH_METRICS_PORT: 8040,
  GRAPHIQL_PORT: 8050,
  ORACLE_HTTP_PORT: 9464,
  ORACLE_P2P_PORT: 9474,
  DAPP_PORT: 4173,
  AZURITE_BLOB_PORT: 10000,
  S3_PORT: 4568,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;

/** The port in environment variable `name`, or its default. */
export function envPort(name: PortName): number {
  const value = process.env[name];
  if (value === undefined || value === "") return DEFAULT_PORTS[name];
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`${name}="${value}" is not a TCP port`);
  return port;
}

/** Every port of the stack from the environment. */
export function envPorts(): Record<PortName, number> {
  return Object.fromEntries(Object.keys(DEFAULT_PORTS).map((name) => [name, envPort(name as PortName)])) as Record<
    PortName,
    number
  >;
}
