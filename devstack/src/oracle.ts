/**
 * The oracle node of the local stack, as a child process: `oracle-node/src/main.ts` with the local
 * configuration, serving the demo provider whose resources are `local` workloads.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Service, startService, stopService, waitFor } from "../services/process.ts";

const ORACLE_NODE = fileURLToPath(new URL("../../oracle-node/", import.meta.url));

export interface OracleOptions {
  rpcUrl: string;
  ipfsApiUrl: string;
  deploymentsFile: string;
  /** State file, local workloads and the generated configuration. */
  dataDir: string;
  port: number;
  /** Providers the node provisions and reports for. */
  providers: string[];
  logFile: string;
}

export interface Oracle {
  healthUrl: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Stops the local workloads of the node whose data is in `dataDir`: their host processes outlive
 * the node by design (a restarted node finds its machines again), but not the stack.
 */
export function stopLocalWorkloads(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  for (const entry of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.name !== "host.pid") continue;
    const pid = Number(readFileSync(join(entry.parentPath, entry.name), "utf8"));
    try {
      // Each host process leads its own process group.
      process.kill(-pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

/** Starts the node and waits until /healthz says it has caught up with the chain. */
export async function startOracle(options: OracleOptions): Promise<Oracle> {
  const base = JSON.parse(readFileSync(join(ORACLE_NODE, "config/local.json"), "utf8")) as Record<string, unknown>;
  const configFile = join(options.dataDir, "config.json");
  writeFileSync(configFile, JSON.stringify({ ...base, serve: { providers: options.providers } }, null, 2));
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
  return { healthUrl: `${url}/healthz`, metricsUrl: `${url}/metrics`, stop };
}
