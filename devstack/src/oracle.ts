/**
 * Oracle nodes as child processes: `oracle-node/src/main.ts` with the local configuration
 * (oracle-node/config/local.json) or the tests' faster one.
 *
 * - `startOracle`: one node serving the given providers (the browser tests' stack).
 * - `startOracles`: the local stack's oracle network, each node with its own key, data folder, HTTP
 *   and peer-to-peer ports, connected to the others over loopback. The provisioning nodes provision;
 *   all measure and sign together. A node that dies is logged and started again with the same data
 *   folder (it resumes where it stopped).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { REPOSITORY } from "./paths.ts";
import { type Service, startService, stopService, waitFor } from "./process.ts";

const ORACLE_NODE = join(REPOSITORY, "oracle-node");
const RESTART_DELAY_MS = 2_000;

/** Oracle node settings for tests: fast loops, no confirmations, reports soon after a period ends. */
export const TEST_ORACLE_SETTINGS = {
  serve: { providers: "*" },
  chain: { confirmations: 0, pollIntervalMs: 100 },
  probes: { intervalMs: 200, timeoutMs: 1_000 },
  reporting: { delaySeconds: 1, windowMarginSeconds: 10, takeoverSeconds: 5, maxBatchWaitSeconds: 0 },
  tx: { receiptPollMs: 100, bumpAfterMs: 5_000 },
  provisioning: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000 },
  http: { port: 0 },
  network: { listen: ["/ip4/127.0.0.1/tcp/0"] },
  log: { level: "warn" },
};

/** The settings of the local stack's oracle node. */
export function localOracleSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ORACLE_NODE, "config/local.json"), "utf8")) as Record<string, unknown>;
}

/** Where the nodes find the chain, its deployment and IPFS. */
interface Endpoints {
  rpcUrl: string;
  ipfsApiUrl: string;
  deploymentsFile: string;
  /** `adapters.objectStorage` of the nodes' configuration (the local storage emulators). */
  objectStorage?: unknown;
  /** Records the nodes' pids in this folder while they run (see `stopRecorded`). */
  pidDir?: string;
}

export interface OracleOptions extends Endpoints {
  /** State file, local workloads and the generated configuration. */
  dataDir: string;
  port: number;
  /** Providers the node provisions and reports for. */
  providers: string[] | "*";
  logFile: string;
  /** The configuration file's settings (default: the local stack's); `serve` and `http` are set here. */
  settings?: Record<string, unknown>;
}

export interface Oracle {
  url: string;
  healthUrl: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

export interface OracleSpec {
  name: string;
  privateKey: `0x${string}`;
  /** Provisions (one node per provider) or only measures and co-signs. */
  provision: boolean;
  httpPort: number;
  p2pPort: number;
}

export interface OraclesOptions extends Endpoints {
  /** Each node's data folder is `<dataDir>/<name>`. */
  dataDir: string;
  logDir: string;
  /** Providers the nodes serve. */
  providers: string[];
  nodes: OracleSpec[];
  /** Told when a node dies and when it is back (for the status line). */
  onEvent(message: string): void;
}

export interface Oracles {
  healthUrls: string[];
  metricsUrls: string[];
  restarts(): number;
  stop(): Promise<void>;
}

/**
 * Stops the local workloads of the nodes whose data is under `dataDir`: their host processes
 * outlive a node by design (a restarted node finds its machines again), but not the stack.
 */
export function stopLocalWorkloads(dataDir: string, signal: NodeJS.Signals = "SIGTERM"): void {
  if (!existsSync(dataDir)) return;
  for (const entry of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.name !== "host.pid") continue;
    const pid = Number(readFileSync(join(entry.parentPath, entry.name), "utf8"));
    try {
      // Each host process leads its own process group.
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Writes a node's configuration file and starts it. */
function launch(
  endpoints: Endpoints,
  node: { name: string; dataDir: string; httpPort: number; logFile: string; privateKey?: string },
  settings: Record<string, unknown>,
): Service {
  mkdirSync(node.dataDir, { recursive: true });
  const configFile = join(node.dataDir, "config.json");
  const adapters = endpoints.objectStorage ? { adapters: { objectStorage: endpoints.objectStorage } } : {};
  writeFileSync(configFile, JSON.stringify({ ...settings, ...adapters, http: { port: node.httpPort } }, null, 2));
  return startService(process.execPath, ["--disable-warning=ExperimentalWarning", join(ORACLE_NODE, "src/main.ts")], {
    cwd: ORACLE_NODE,
    env: {
      ...process.env,
      ORACLE_CONFIG: configFile,
      ...(node.privateKey ? { ORACLE_PRIVATE_KEY: node.privateKey } : {}),
      ORACLE_RPC_URL: endpoints.rpcUrl,
      ORACLE_DEPLOYMENTS: endpoints.deploymentsFile,
      ORACLE_IPFS_API_URL: endpoints.ipfsApiUrl,
      ORACLE_DATA_DIR: node.dataDir,
      ORACLE_HTTP_PORT: String(node.httpPort),
    },
    logFile: node.logFile,
    detached: true,
    pidFile: endpoints.pidDir ? { pidDir: endpoints.pidDir, name: `oracle-${node.name}` } : undefined,
  });
}

/** Waits until the node's /healthz says it has caught up with the chain. */
function healthy(name: string, service: Service, httpPort: number): Promise<unknown> {
  return waitFor(
    `oracle node ${name} to catch up with the chain`,
    async () => {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        const message = `Oracle node ${name} exited; see ${service.logFile}`;
        throw Object.assign(new Error(message), { fatal: true });
      }
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok ? true : undefined;
    },
    60_000,
    200,
    (error) => (error as { fatal?: boolean }).fatal === true,
  );
}

/** Starts one node and waits until it has caught up with the chain. */
export async function startOracle(options: OracleOptions): Promise<Oracle> {
  const settings = { ...(options.settings ?? localOracleSettings()), serve: { providers: options.providers } };
  const node = { name: "node", dataDir: options.dataDir, httpPort: options.port, logFile: options.logFile };
  const service = launch(options, node, settings);
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    await stopService(service, "SIGTERM");
    stopLocalWorkloads(options.dataDir);
  };
  try {
    await healthy(node.name, service, options.port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, healthUrl: `${url}/healthz`, metricsUrl: `${url}/metrics`, stop };
}

/** Starts every node, waits until each has caught up with the chain, then watches them. */
export async function startOracles(options: OraclesOptions): Promise<Oracles> {
  const { peerIdOf } = await import("@d-cloudx/oracle-node/identity");
  const base = localOracleSettings();
  const peers = await Promise.all(
    options.nodes.map(async (node) => `/ip4/127.0.0.1/tcp/${node.p2pPort}/p2p/${await peerIdOf(node.privateKey)}`),
  );
  let stopping = false;
  let restarts = 0;
  const services = new Map<string, Service>();

  const start = (node: OracleSpec, index: number): Service => {
    const settings = {
      ...base,
      serve: { providers: options.providers, provision: node.provision },
      network: {
        listen: [`/ip4/127.0.0.1/tcp/${node.p2pPort}`],
        bootstrap: peers.filter((_, i) => i !== index),
      },
    };
    const service = launch(
      options,
      {
        name: node.name,
        dataDir: join(options.dataDir, node.name),
        httpPort: node.httpPort,
        logFile: join(options.logDir, `oracle-${node.name}.log`),
        privateKey: node.privateKey,
      },
      settings,
    );
    services.set(node.name, service);
    void service.exited.then((code) => {
      if (stopping) return;
      restarts++;
      const how = service.child.signalCode ?? `code ${code}`;
      options.onEvent(`oracle node ${node.name} exited (${how}); restarting it (restart ${restarts})`);
      setTimeout(() => {
        if (stopping) return;
        const again = start(node, index);
        void healthy(node.name, again, node.httpPort).then(
          () => options.onEvent(`oracle node ${node.name} is back and has caught up`),
          () => undefined,
        );
      }, RESTART_DELAY_MS);
    });
    return service;
  };

  const stop = async () => {
    stopping = true;
    await Promise.all([...services.values()].map((service) => stopService(service, "SIGTERM")));
    stopLocalWorkloads(options.dataDir);
  };
  try {
    const started = options.nodes.map((node, i) => start(node, i));
    await Promise.all(options.nodes.map((node, i) => healthy(node.name, started[i]!, node.httpPort)));
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (node: OracleSpec) => `http://127.0.0.1:${node.httpPort}`;
  return {
    healthUrls: options.nodes.map((node) => `${url(node)}/healthz`),
    metricsUrls: options.nodes.map((node) => `${url(node)}/metrics`),
    restarts: () => restarts,
    stop,
  };
}
