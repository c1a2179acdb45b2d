/**
 * An oracle node as a child process: `oracle-node/src/main.ts` with the local configuration
 * (oracle-node/config/local.json) or the tests' faster one, serving the given providers.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { REPOSITORY } from "./paths.ts";
import { type Service, startService, stopService, waitFor } from "./process.ts";

const ORACLE_NODE = join(REPOSITORY, "oracle-node");

/** Oracle node settings for tests: fast loops, no confirmations, reports soon after a period ends. */
export const TEST_ORACLE_SETTINGS = {
  serve: { providers: "*" },
  chain: { confirmations: 0, pollIntervalMs: 100 },
  probes: { intervalMs: 200, timeoutMs: 1_000 },
  reporting: { delaySeconds: 1, windowMarginSeconds: 10, takeoverSeconds: 5, maxBatchWaitSeconds: 0 },
  tx: { receiptPollMs: 100, bumpAfterMs: 5_000 },
  provisioning: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000 },
  http: { port: 0 },
  log: { level: "warn" },
};

/** The settings of the local stack's oracle node. */
export function localOracleSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ORACLE_NODE, "config/local.json"), "utf8")) as Record<string, unknown>;
}

export interface OracleOptions {
  rpcUrl: string;
  ipfsApiUrl: string;
  deploymentsFile: string;
  /** State file, local workloads and the generated configuration. */
  dataDir: string;
  port: number;
  /** Providers the node provisions and reports for. */
  providers: string[] | "*";
  /** `adapters.objectStorage` of the node's configuration (the local storage emulators). */
  objectStorage?: unknown;
  logFile: string;
  /** The configuration file's settings (default: the local stack's); `serve` and `http` are set here. */
  settings?: Record<string, unknown>;
  /** Records the node's pid in this folder while it runs (see `stopRecorded`). */
  pidDir?: string;
}

export interface Oracle {
  url: string;
  healthUrl: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Stops the local workloads of the node whose data is in `dataDir`: their host processes outlive
 * the node by design (a restarted node finds its machines again), but not the stack.
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

/** Starts the node and waits until /healthz says it has caught up with the chain. */
export async function startOracle(options: OracleOptions): Promise<Oracle> {
  const settings = options.settings ?? localOracleSettings();
  const configFile = join(options.dataDir, "config.json");
  mkdirSync(options.dataDir, { recursive: true });
  const adapters = options.objectStorage ? { adapters: { objectStorage: options.objectStorage } } : {};
  writeFileSync(
    configFile,
    JSON.stringify(
      { ...settings, ...adapters, serve: { providers: options.providers }, http: { port: options.port } },
      null,
      2,
    ),
  );
  const service: Service = startService(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", join(ORACLE_NODE, "src/main.ts")],
    {
      cwd: ORACLE_NODE,
      env: {
        ...process.env,
        ORACLE_CONFIG: configFile,
        ORACLE_RPC_URL: options.rpcUrl,
        ORACLE_DEPLOYMENTS: options.deploymentsFile,
        ORACLE_IPFS_API_URL: options.ipfsApiUrl,
        ORACLE_DATA_DIR: options.dataDir,
        ORACLE_HTTP_PORT: String(options.port),
      },
      logFile: options.logFile,
      detached: true,
      pidFile: options.pidDir ? { pidDir: options.pidDir, name: "oracle-node" } : undefined,
    },
  );
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    await stopService(service, "SIGTERM");
    stopLocalWorkloads(options.dataDir);
  };
  try {
    await waitFor(
      "the oracle node to catch up with the chain",
      async () => {
        if (service.child.exitCode !== null) {
          const message = `The oracle node exited (code ${service.child.exitCode}); see ${options.logFile}`;
          throw Object.assign(new Error(message), { fatal: true });
        }
        return (await fetch(`${url}/healthz`)).ok ? true : undefined;
      },
      60_000,
      200,
      (error) => (error as { fatal?: boolean }).fatal === true,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, healthUrl: `${url}/healthz`, metricsUrl: `${url}/metrics`, stop };
}
