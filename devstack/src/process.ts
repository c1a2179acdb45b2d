/**
 * Processes and ports of the local services (PostgreSQL, graph-node, chain, IPFS, oracle node).
 *
 * Every child started here is tracked until it exits, so that a stopping parent can end whatever is
 * still running (`stopChildren`). A long-running service can also record its pid in a folder
 * (`pidDir`): a later start that finds the file of a service still running after its parent was
 * killed stops it (`stopRecorded`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.once("error", () => children.delete(child));
  return child;
}

/** Sends `signal` to every child of this process that is still running (to its group when it leads one). */
export function stopChildren(signal: NodeJS.Signals = "SIGTERM"): void {
  for (const child of children) {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  }
}

/** Runs `stop` on SIGINT, SIGTERM or SIGHUP, then exits (130): for scripts that start services. */
export function stopOnSignals(stop: () => Promise<unknown>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping…`);
      void stop().finally(() => process.exit(130));
    });
  }
}

/** The start time of process `pid` in clock ticks since boot, or undefined if it is not running. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function recordPid(pidDir: string, name: string, pid: number): string {
  mkdirSync(pidDir, { recursive: true });
  const file = join(pidDir, `${name}.pid`);
  writeFileSync(file, `${pid} ${startTime(pid) ?? ""}\n`);
  return file;
}

/**
 * Stops the process groups recorded in `pidDir` by an earlier run that did not stop them (it was
 * killed). A pid is trusted only while its process has the start time recorded with it, so a pid
 * reused by another program is left alone. Returns the names of the services it stopped.
 */
export async function stopRecorded(pidDir: string): Promise<string[]> {
  if (!existsSync(pidDir)) return [];
  const stopped: string[] = [];
  for (const file of readdirSync(pidDir).filter((name) => name.endsWith(".pid"))) {
    const path = join(pidDir, file);
    const [pidText, started] = readFileSync(path, "utf8").trim().split(" ");
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 1 && started && startTime(pid) === started) {
      stopped.push(file.replace(/\.pid$/, ""));
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-pid, signal);
        } catch {
          try {
            process.kill(pid, signal);
          } catch {
            // Gone.
          }
        }
      };
      signalGroup("SIGTERM");
      const deadline = Date.now() + 10_000;
      while (startTime(pid) === started && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (startTime(pid) === started) signalGroup("SIGKILL");
    }
    rmSync(path, { force: true });
  }
  return stopped;
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A TCP socket listening on this machine, as the kernel lists it (/proc/net/tcp and tcp6). */
export interface ListeningSocket {
  /** "127.0.0.1", "0.0.0.0", "::", "::1", … */
  address: string;
  port: number;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  // IPv6: four 32-bit words, each in host (little-endian) order.
  const words = [0, 1, 2, 3].map((w) =>
    hex
      .slice(w * 8, w * 8 + 8)
      .match(/../g)!
      .reverse()
      .join(""),
  );
  const groups = words.flatMap((word) => [word.slice(0, 4), word.slice(4)]).map((group) => parseInt(group, 16));
  if (groups.every((group) => group === 0)) return "::";
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return "::1";
  return groups.map((group) => group.toString(16)).join(":");
}

/** Every TCP socket in the LISTEN state in this network namespace. */
export function listeningSockets(): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== "0A" || !local) continue; // 0A: LISTEN
      const [address, port] = local.split(":");
      sockets.push({ address: decodeAddress(address!), port: parseInt(port!, 16) });
    }
  }
  return sockets;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

/**
 * Calls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with
 * `what` and the last error in the message. An error for which `fatal` returns true is rethrown
 * at once.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
  fatal: (error: unknown) => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (fatal(error)) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A long-running child process whose output goes to a log file. */
export interface Service {
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts `command` with its stdout and stderr appended to `logFile`. `detached` puts it in a process
 * group of its own, so that a Ctrl-C in the terminal reaches only the parent, which then stops its
 * services in order.
 */
export function startService(
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    logFile: string;
    detached?: boolean;
    /** Records the pid as `<pidDir>/<name>.pid` while the process runs. */
    pidFile?: { pidDir: string; name: string };
  },
): Service {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = track(
    spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.detached,
    }),
  );
  const pidFile =
    options.pidFile && child.pid ? recordPid(options.pidFile.pidDir, options.pidFile.name, child.pid) : "";
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      log.write(`${error.message}\n`);
      resolve(null);
    });
    child.once("exit", (code) => resolve(code));
  }).finally(() => {
    log.end();
    if (pidFile) rmSync(pidFile, { force: true });
  });
  return { child, logFile: options.logFile, exited };
}

/** Sends `signal`, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopService(service: Service, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  const timer = setTimeout(() => service.child.kill("SIGKILL"), graceMs);
  await service.exited;
  clearTimeout(timer);
}

/**
 * Runs `command` to completion; rejects with its output if it fails. `onLine` receives each line of
 * output as it comes (progress of long builds).
 */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {},
): Promise<string> {
  const { onLine, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] }));
    let output = "";
    let pending = "";
    const collect = (chunk: Buffer) => {
      output += chunk;
      if (!onLine) return;
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(line.trimEnd());
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (onLine && pending.trim()) onLine(pending.trimEnd());
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} ${signal ? `was stopped by ${signal}` : `exited ${code}`}:\n${output}`,
          ),
        );
    });
  });
}
