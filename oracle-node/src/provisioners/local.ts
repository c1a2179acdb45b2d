/**
 * The `local` cloud: each booking gets a real workload process on this machine (local-workload.ts),
 * serving HTTP on a free loopback port, with its own folder `<root>/booking-<id>/` holding its
 * token, data and `state.json` ({pid, port}). The folder is the machine's identity: after a restart
 * `describe` finds the process through it, and `provision` returns it instead of starting another.
 * Killing the process is an outage that the probes see.
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { ResourceMetadata } from "@d-cloudx/sdk";
import { type CloudSample, type Machine, type ProvisionRequest, type Provisioner, ProvisionerError } from "./types.ts";

const WORKLOAD = fileURLToPath(new URL("./local-workload.ts", import.meta.url));
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 10_000;

interface WorkloadState {
  pid: number;
  port: number;
}

export class LocalProvisioner implements Provisioner {
  readonly cloud = "local" as const;
  readonly #root: string;

  /** `root`: the folder that holds one folder per booking (under the node's data folder). */
  constructor(root: string) {
    this.#root = root;
    mkdirSync(root, { recursive: true });
  }

  folderOf(bookingId: bigint): string {
    return join(this.#root, `booking-${bookingId}`);
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const existing = await this.describe(request.bookingId);
    if (existing?.state === "running") return existing;
    const folder = this.folderOf(request.bookingId);
    mkdirSync(folder, { recursive: true });
    const tokenFile = join(folder, "token");
    if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString("hex"), { mode: 0o600 });
    rmSync(join(folder, "state.json"), { force: true });

    const log = openSync(join(folder, "workload.log"), "a");
    try {
      const child = spawn(
        process.execPath,
        [
          "--permission",
          `--allow-fs-read=${WORKLOAD}`,
          `--allow-fs-read=${folder}`,
          `--allow-fs-write=${folder}`,
          WORKLOAD,
          folder,
        ],
        { detached: true, stdio: ["ignore", log, log], env: { PATH: process.env.PATH ?? "" } },
      );
      child.unref();
      child.on("error", () => undefined);
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const machine = await this.describe(request.bookingId);
      if (machine?.state === "running") return machine;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new ProvisionerError(`The workload of booking ${request.bookingId} did not start`, true);
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const folder = this.folderOf(bookingId);
    if (!existsSync(folder)) return undefined;
    const state = readState(folder);
    const base = { bookingId, cloud: this.cloud };
    if (!state) return { ...base, instanceId: "", state: "pending" };
    const token = readFileSync(join(folder, "token"), "utf8").trim();
    return {
      ...base,
      instanceId: String(state.pid),
      state: isAlive(state.pid) ? "running" : "stopped",
      access: {
        protocol: "http",
        host: HOST,
        port: state.port,
        user: "consumer",
        credentials: { kind: "bearer-token", secret: token },
        url: `http://${HOST}:${state.port}/`,
      },
      probe: { kind: "http", host: HOST, port: state.port, path: "/healthz" },
    };
  }

  async deprovision(bookingId: bigint): Promise<void> {
    const folder = this.folderOf(bookingId);
    const state = readState(folder);
    if (state && isAlive(state.pid)) {
      signal(state.pid, "SIGTERM");
      const deadline = Date.now() + 3_000;
      while (isAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (isAlive(state.pid)) signal(state.pid, "SIGKILL");
    }
    rmSync(folder, { recursive: true, force: true });
  }

  /** This machine has no monitoring of its own beyond what the probes see. */
  async metrics(): Promise<CloudSample[]> {
    return [];
  }

  /** Anything can run here; the account is this machine. */
  async verify(_metadata: ResourceMetadata): Promise<{ accountId: string }> {
    return { accountId: `local:${hostname()}` };
  }
}

function readState(folder: string): WorkloadState | undefined {
  try {
    const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as WorkloadState;
    return Number.isInteger(state.pid) && Number.isInteger(state.port) ? state : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the workload's process group (it was started detached, as a group leader). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}
