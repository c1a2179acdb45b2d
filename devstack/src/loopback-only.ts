/**
 * Runs a program that listens on every interface (graph-node's gnd has no option for its address)
 * where only this machine's loopback reaches it: in a network namespace of its own (a user
 * namespace makes that possible without privileges), whose only interface is a loopback nobody
 * else shares. Unix sockets, which do not belong to a network namespace, carry the traffic:
 *
 * - `inbound` ports: this process listens on 127.0.0.1:port and relays each connection to the
 *   program's port inside the namespace;
 * - `outbound` ports: inside the namespace, 127.0.0.1:port is relayed to 127.0.0.1:port outside
 *   (the chain, IPFS, PostgreSQL the program uses).
 *
 * Run as a script, this file is the namespace's side: it brings the namespace's loopback up,
 * relays the ports, starts the program and ends with it.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { type Server, type Socket, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Relays {
  /** Ports the program listens on, offered on 127.0.0.1 outside. */
  inbound: number[];
  /** Ports on 127.0.0.1 outside the program connects to. */
  outbound: number[];
}

const socketFor = (dir: string, direction: "in" | "out", port: number) => join(dir, `${direction}-${port}.sock`);

/**
 * Pipes every connection accepted by a server listening on `listen` to `target`. Without Nagle's
 * algorithm on either side: a request written in two parts (headers, then body) would otherwise
 * wait for the peer's delayed acknowledgement at every hop.
 */
function relay(listen: number | string, target: () => Socket): Promise<Server> {
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = target().setNoDelay(true);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    if (typeof listen === "number") server.listen(listen, "127.0.0.1", () => resolve(server));
    else server.listen(listen, () => resolve(server));
  });
}

/** Whether this machine lets an unprivileged process make a user and network namespace with a working loopback. */
export function loopbackOnlyAvailable(): boolean {
  if (process.platform !== "linux") return false;
  const probe = spawnSync("unshare", ["--user", "--map-root-user", "--net", "ip", "link", "set", "lo", "up"], {
    stdio: "ignore",
    timeout: 10_000,
  });
  return probe.status === 0;
}

export interface LoopbackOnly {
  /** The command line that runs the program in its namespace (its namespace's side, which forwards SIGINT and SIGTERM to it and exits with it). */
  command: string;
  args: string[];
  /** Closes the relays outside the namespace and removes the sockets' folder. */
  close(): Promise<void>;
}

/** Sets up the relays outside the namespace; returns the command line that runs `command` inside it. */
export async function loopbackOnly(command: string, args: string[], relays: Relays): Promise<LoopbackOnly> {
  const dir = mkdtempSync(join(tmpdir(), "dcx-netns-"));
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of relays.outbound) {
      servers.push(await relay(socketFor(dir, "out", port), () => connect(port, "127.0.0.1")));
    }
    for (const port of relays.inbound) servers.push(await relay(port, () => connect(socketFor(dir, "in", port))));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    command: "unshare",
    args: [
      ...["--user", "--map-root-user", "--net", "--"],
      process.execPath,
      fileURLToPath(import.meta.url),
      JSON.stringify({ dir, ...relays }),
      command,
      ...args,
    ],
    close,
  };
}

/** The namespace's side. */
async function main(): Promise<void> {
  const [config, command, ...args] = process.argv.slice(2);
  const { dir, inbound, outbound } = JSON.parse(config!) as Relays & { dir: string };
  const up = spawnSync("ip", ["link", "set", "lo", "up"], { stdio: "inherit" });
  if (up.status !== 0) throw new Error("Could not bring the namespace's loopback up");
  mkdirSync(dir, { recursive: true });
  for (const port of outbound) await relay(port, () => connect(socketFor(dir, "out", port)));
  for (const port of inbound) await relay(socketFor(dir, "in", port), () => connect(port, "127.0.0.1"));
  const program = spawn(command!, args, { stdio: "inherit" });
  // gnd stops cleanly on SIGINT (it may ignore SIGTERM); a program that does not stop is killed.
  const stop = () => {
    program.kill("SIGINT");
    setTimeout(() => program.kill("SIGKILL"), 15_000).unref();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  // The relays outside are gone with the process that started this one: so is the point of running.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop(), 1_000).unref();
  program.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
