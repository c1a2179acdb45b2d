/**
 * Oracle nodes as separate processes (`src/main.ts`) against a test stack: each with its own key,
 * data folder, HTTP and peer-to-peer ports, all on loopback and connected to each other, as
 * operators on different machines would run them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Hex, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { peerIdOf } from "../../src/network/identity.ts";
import { type Stack, freePort, nodeEnv, waitFor } from "./stack.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface NodeSpec {
  name: string;
  key: Hex;
  provision: boolean;
}

export class NodeProcess {
  readonly spec: NodeSpec;
  readonly address: string;
  readonly dataDir: string;
  httpPort = 0;
  p2pPort = 0;
  peerId = "";
  child?: ChildProcess;
  exited?: Promise<NodeJS.Signals | null>;
  readonly #stack: Stack;
  #stderr = "";

  constructor(stack: Stack, spec: NodeSpec, dataDir: string) {
    this.#stack = stack;
    this.spec = spec;
    this.address = privateKeyToAccount(spec.key).address.toLowerCase();
    this.dataDir = dataDir;
  }

  get multiaddr(): string {
    return `/ip4/127.0.0.1/tcp/${this.p2pPort}/p2p/${this.peerId}`;
  }

  /** Writes the configuration: fast loops, the stack's chain and IPFS, the other nodes as bootstrap peers. */
  configure(providers: string[], peers: NodeProcess[], file: Record<string, unknown> = {}): void {
    mkdirSync(this.dataDir, { recursive: true });
    const config = {
      serve: { providers, provision: this.spec.provision },
      chain: { confirmations: 0, pollIntervalMs: 100 },
      probes: { intervalMs: 200, timeoutMs: 1_000 },
      reporting: {
        delaySeconds: 1,
        windowMarginSeconds: 10,
        takeoverSeconds: 5,
        maxBatchWaitSeconds: 0,
        attestations: false,
      },
      tx: { receiptPollMs: 100, bumpAfterMs: 5_000 },
      provisioning: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000 },
      http: { port: this.httpPort },
      network: {
        listen: [`/ip4/127.0.0.1/tcp/${this.p2pPort}`],
        bootstrap: peers.filter((p) => p !== this).map((p) => p.multiaddr),
        reannounceSeconds: 3,
      },
      log: { level: "info" },
      ...file,
    };
    writeFileSync(join(this.dataDir, "config.json"), JSON.stringify(config));
  }

  start(env: NodeJS.ProcessEnv = {}): void {
    this.#stderr = "";
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN], {
      env: { ...process.env, ...nodeEnv(this.#stack, this.dataDir), ORACLE_PRIVATE_KEY: this.spec.key, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Its JSON log, for a failing test to be read.
    child.stdout!.pipe(createWriteStream(join(this.dataDir, "node.log"), { flags: "a" }));
    child.stderr!.on("data", (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk).slice(-4_000)));
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  }

  async healthy(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return waitFor(
      `node ${this.spec.name} to be healthy`,
      async () => {
        if (this.child?.exitCode !== null) throw new Error(`node ${this.spec.name} exited:\n${this.#stderr}`);
        const response = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`).catch(() => undefined);
        return response?.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
      },
      timeoutMs,
    );
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** A counter or gauge from /metrics, summed over the labels that match `labels`. */
  async metric(name: string, labels = ""): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name) || line.startsWith("#")) continue;
      if (line[name.length] !== " " && line[name.length] !== "{") continue;
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return sum;
  }

  /** CPU seconds (user + system) and resident memory of the process, from /proc. */
  usage(): { cpuSeconds: number; rssMb: number } {
    const pid = this.child!.pid!;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
    return { cpuSeconds: ticks / 100, rssMb: rssKb / 1024 };
  }
}

/** Node processes for `specs`, with free ports, peer ids and funded accounts; configured, not started. */
export async function nodeProcesses(
  stack: Stack,
  specs: NodeSpec[],
  providers: string[],
  file: Record<string, unknown> = {},
): Promise<NodeProcess[]> {
  const nodes = specs.map((spec) => new NodeProcess(stack, spec, join(stack.workDir, `node-${spec.name}`)));
  for (const node of nodes) {
    node.httpPort = await freePort();
    node.p2pPort = await freePort();
    node.peerId = (await peerIdOf(node.spec.key)).toString();
    await stack.rpc("hardhat_setBalance", [node.address, `0x${parseEther("100").toString(16)}`]);
  }
  for (const node of nodes) node.configure(providers, nodes, file);
  return nodes;
}
