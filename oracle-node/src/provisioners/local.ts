/**
 * The `local` cloud: each booking gets a real workload on this machine (local-workload.ts), serving
 * HTTP on a free loopback port, with its own folder holding its token, data and `state.json`
 * ({pid, port}). Workloads run in host processes under `<root>/host-<n>/`, one workload per host by
 * default (`workloadsPerHost` packs more, for many bookings on one machine). The folder is the
 * machine's identity: after a restart `describe` finds the workload through it, and `provision`
 * returns it instead of starting another. Killing a host process is an outage the probes see.
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { ResourceMetadata } from "@d-cloudx/sdk";
import { type CloudSample, type Machine, type ProvisionRequest, type Provisioner, ProvisionerError } from "./types.ts";

const WORKLOAD = fileURLToPath(new URL("./local-workload.ts", import.meta.url));
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 10_000;
/** A file in a workload's folder that tells its host not to serve it (local-workload.ts). */
const PAUSED = "paused";

interface WorkloadState {
  pid: number;
  port: number;
}

export class LocalProvisioner implements Provisioner {
  readonly cloud = "local" as const;
  readonly #root: string;
  readonly #workloadsPerHost: number;

  /** `root`: where hosts and their workloads live (under the node's data folder). */
  constructor(root: string, workloadsPerHost = 1) {
    this.#root = root;
    this.#workloadsPerHost = workloadsPerHost;
    mkdirSync(root, { recursive: true });
  }

  /** The booking's folder, if it has one. */
  folderOf(bookingId: bigint): string | undefined {
    const name = `booking-${bookingId}`;
    for (const host of this.#hosts()) {
      const folder = join(this.#root, host, name);
      if (existsSync(folder)) return folder;
    }
    return undefined;
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const existing = await this.describe(request.bookingId);
    if (existing?.state === "running") return existing;
    if (existing) await this.deprovision(request.bookingId);
    const folder = this.#place(request.bookingId);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const machine = await this.describe(request.bookingId);
      if (machine?.state === "running") return machine;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    rmSync(folder, { recursive: true, force: true });
    throw new ProvisionerError(`The workload of booking ${request.bookingId} did not start`, true);
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const folder = this.folderOf(bookingId);
    if (!folder) return undefined;
    const state = readState(folder);
    const base = { bookingId, cloud: this.cloud };
    if (!state) return { ...base, instanceId: "", state: isAlive(hostPid(join(folder, ".."))) ? "pending" : "stopped" };
    const token = readFileSync(join(folder, "token"), "utf8").trim();
    const paused = existsSync(join(folder, PAUSED));
    return {
      ...base,
      instanceId: `${state.pid}:${state.port}`,
      state: isAlive(state.pid) && !paused ? "running" : "stopped",
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
    if (!folder) return;
    const hostFolder = join(folder, "..");
    rmSync(folder, { recursive: true, force: true });
    const others = readdirSync(hostFolder).filter((name) => name.startsWith("booking-"));
    if (others.length === 0) await this.#stopHost(hostFolder);
  }

  /** The host stops serving the workload; its folder, token, files and port stay. */
  async pause(bookingId: bigint): Promise<void> {
    const folder = this.folderOf(bookingId);
    if (folder) writeFileSync(join(folder, PAUSED), "");
  }

  /**
   * The host serves the workload again, on its old port if that is still free; a host that is no
   * longer running (the machine was switched off meanwhile) is started again on the same folders.
   */
  async resume(bookingId: bigint): Promise<void> {
    const folder = this.folderOf(bookingId);
    if (!folder) throw new ProvisionerError(`The workload of booking ${bookingId} is gone`, false);
    rmSync(join(folder, PAUSED), { force: true });
    const hostFolder = join(folder, "..");
    if (!isAlive(hostPid(hostFolder))) this.#startHost(hostFolder);
  }

  /** This machine has no monitoring of its own beyond what the probes see. */
  async metrics(): Promise<CloudSample[]> {
    return [];
  }

  /** Anything can run here; the account is this machine. */
  async verify(_metadata: ResourceMetadata): Promise<{ accountId: string }> {
    return { accountId: `local:${hostname()}` };
  }

  /** Creates the booking's folder in a host with room (starting one if needed). Synchronous: no two placements interleave. */
  #place(bookingId: bigint): string {
    let hostFolder = this.#hosts()
      .map((host) => join(this.#root, host))
      .find((host) => {
        const count = readdirSync(host).filter((name) => name.startsWith("booking-")).length;
        return count < this.#workloadsPerHost && isAlive(hostPid(host));
      });
    const folder = (host: string) => join(host, `booking-${bookingId}`);
    if (!hostFolder) {
      hostFolder = join(this.#root, `host-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`);
      mkdirSync(folder(hostFolder), { recursive: true });
      writeFileSync(join(folder(hostFolder), "token"), randomBytes(24).toString("hex"), { mode: 0o600 });
      this.#startHost(hostFolder);
    } else {
      mkdirSync(folder(hostFolder), { recursive: true });
      writeFileSync(join(folder(hostFolder), "token"), randomBytes(24).toString("hex"), { mode: 0o600 });
    }
    return folder(hostFolder);
  }

  #startHost(hostFolder: string): void {
    const log = openSync(join(hostFolder, "host.log"), "a");
    try {
      const child = spawn(
        process.execPath,
        [
          "--permission",
          `--allow-fs-read=${WORKLOAD}`,
          `--allow-fs-read=${hostFolder}`,
          `--allow-fs-write=${hostFolder}`,
          "--max-old-space-size=64",
          WORKLOAD,
          hostFolder,
        ],
        { detached: true, stdio: ["ignore", log, log], env: { PATH: process.env.PATH ?? "" } },
      );
      writeFileSync(join(hostFolder, "host.pid"), String(child.pid));
      child.unref();
      child.on("error", () => undefined);
    } finally {
      closeSync(log);
    }
  }

  async #stopHost(hostFolder: string): Promise<void> {
    const pid = hostPid(hostFolder);
    if (isAlive(pid)) {
      signal(pid, "SIGTERM");
      const deadline = Date.now() + 3_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      if (isAlive(pid)) signal(pid, "SIGKILL");
    }
    rmSync(hostFolder, { recursive: true, force: true });
  }

  #hosts(): string[] {
    return readdirSync(this.#root).filter((name) => name.startsWith("host-"));
  }
}

/** The pid of a host process (0 if unknown). */
function hostPid(hostFolder: string): number {
  try {
    return Number(readFileSync(join(hostFolder, "host.pid"), "utf8")) || 0;
  } catch {
    return 0;
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
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the host's process group (it was started detached, as a group leader). */
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
