/**
 * The oracle nodes of the local stack, as child processes of `npm start`: `oracle-node/src/main.ts`
 * with the local configuration, each with its own key, data folder, HTTP and peer-to-peer ports,
 * connected to the others over loopback. The first provisions; all measure and sign together. A node
 * that dies is logged and started again with the same data folder (it resumes where it stopped).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Service, startService, stopService, waitFor } from "../services/process.ts";

const ORACLE_NODE = fileURLToPath(new URL("../../oracle-node/", import.meta.url));
const RESTART_DELAY_MS = 2_000;

export interface OracleSpec {
  name: string;
  privateKey: `0x${string}`;
  /** Provisions (one node per provider) or only measures and co-signs. */
  provision: boolean;
  httpPort: number;
  p2pPort: number;
}

export interface OraclesOptions {
  rpcUrl: string;
  ipfsApiUrl: string;
  deploymentsFile: string;
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
  restarts(): number;
  stop(): Promise<void>;
}

/**
 * Stops the local workloads of the nodes whose data is under `dataDir`: their host processes
 * outlive a node by design (a restarted node finds its machines again), but not the stack.
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

/** Starts every node, waits until each has caught up with the chain, then watches them. */
export async function startOracles(options: OraclesOptions): Promise<Oracles> {
  const { peerIdOf } = await import("@d-cloudx/oracle-node/identity");
  const base = JSON.parse(readFileSync(join(ORACLE_NODE, "config/local.json"), "utf8")) as Record<string, unknown>;
  const peers = await Promise.all(
    options.nodes.map(async (node) => `/ip4/127.0.0.1/tcp/${node.p2pPort}/p2p/${await peerIdOf(node.privateKey)}`),
  );
  let stopping = false;
  let restarts = 0;
  const services = new Map<string, Service>();

  const launch = (node: OracleSpec, index: number): Service => {
    const dataDir = join(options.dataDir, node.name);
    mkdirSync(dataDir, { recursive: true });
    const configFile = join(dataDir, "config.json");
    const config = {
      ...base,
      serve: { providers: options.providers, provision: node.provision },
      network: {
        listen: [`/ip4/127.0.0.1/tcp/${node.p2pPort}`],
        bootstrap: peers.filter((_, i) => i !== index),
      },
    };
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const service = startService(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", join(ORACLE_NODE, "src/main.ts")],
      {
        cwd: ORACLE_NODE,
        env: {
          ...process.env,
          ORACLE_CONFIG: configFile,
          ORACLE_PRIVATE_KEY: node.privateKey,
          ORACLE_RPC_URL: options.rpcUrl,
          ORACLE_DEPLOYMENTS: options.deploymentsFile,
          ORACLE_IPFS_API_URL: options.ipfsApiUrl,
          ORACLE_DATA_DIR: dataDir,
          ORACLE_HTTP_PORT: String(node.httpPort),
        },
        logFile: join(options.logDir, `oracle-${node.name}.log`),
      },
    );
    services.set(node.name, service);
    void service.exited.then((code) => {
      if (stopping) return;
      restarts++;
      const how = service.child.signalCode ?? `code ${code}`;
      options.onEvent(`oracle node ${node.name} exited (${how}); restarting it (restart ${restarts})`);
      setTimeout(() => {
        if (stopping) return;
        const again = launch(node, index);
        void healthy(node, again).then(
          () => options.onEvent(`oracle node ${node.name} is back and has caught up`),
          () => undefined,
        );
      }, RESTART_DELAY_MS);
    });
    return service;
  };

  const healthy = (node: OracleSpec, service: Service) =>
    waitFor(
      `oracle node ${node.name} to catch up with the chain`,
      async () => {
        if (service.child.exitCode !== null || service.child.signalCode !== null) {
          const message = `Oracle node ${node.name} exited; see ${service.logFile}`;
          throw Object.assign(new Error(message), { fatal: true });
        }
        return (await fetch(`http://127.0.0.1:${node.httpPort}/healthz`)).ok ? true : undefined;
      },
      60_000,
      200,
      (error) => (error as { fatal?: boolean }).fatal === true,
    );

  const stop = async () => {
    stopping = true;
    await Promise.all([...services.values()].map((service) => stopService(service, "SIGTERM")));
    stopLocalWorkloads(options.dataDir);
  };
  try {
    const started = options.nodes.map((node, i) => launch(node, i));
    await Promise.all(options.nodes.map((node, i) => healthy(node, started[i]!)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    healthUrls: options.nodes.map((node) => `http://127.0.0.1:${node.httpPort}/healthz`),
    restarts: () => restarts,
    stop,
  };
}
