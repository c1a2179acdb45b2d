/**
 * The node's configuration: a JSON file (ORACLE_CONFIG) plus environment variables, validated once
 * at start-up. Every problem is reported at once, one line each, naming the setting. The private
 * key is kept in a `Secret`, which prints as "[redacted]" in logs, JSON and `util.inspect`.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { MAX_REPORT_PERIODS } from "./network/messages.ts";

/** The repository root, for local defaults (deployments/localhost.json, .data/). */
const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The configuration for the local stack, used when ORACLE_CONFIG is not set. */
export const LOCAL_CONFIG = resolve(REPOSITORY, "oracle-node/config/local.json");

/**
 * Hardhat's well-known test account #2, the oracle operator of local deployments. Public: anyone
 * can spend from it on any chain. Used only when the RPC URL is on loopback and no key is given.
 */
export const LOCAL_ORACLE_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

/** A value that never shows up in logs or error messages. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[redacted]";
  }
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((a) => a.toLowerCase() as `0x${string}`);
const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
  .transform((key) => new Secret(key));
const loopbackOrHttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const port = z.coerce.number().int().min(0).max(65_535);
const multiaddr = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~:%-]+)+$/, "must be a multiaddr such as /ip4/203.0.113.7/tcp/9474");
const multiaddrList = z
  .string()
  .transform((list) =>
    list
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean),
  )
  .pipe(z.array(multiaddr));
const ms = (fallback: number) => z.int().positive().default(fallback);

const fileSchema = z.strictObject({
  /** Bookings this node operates: of these providers ("*": every provider), and/or these resources. */
  serve: z
    .strictObject({
      providers: z.union([z.literal("*"), z.array(address)]).default([]),
      resources: z.array(z.coerce.bigint().positive()).default([]),
      /** False for a node that only measures and co-signs what another node provisioned. */
      provision: z.boolean().default(true),
      /** Calls completeBooking once a served booking has run to its end (frees the capacity). */
      completeEndedBookings: z.boolean().default(true),
    })
    .prefault({}),
  chain: z
    .strictObject({
      /** Blocks a log must be buried under before the node acts on it. */
      confirmations: z.int().min(0).max(1_000).default(1),
      pollIntervalMs: ms(1_000),
      /** Largest eth_getLogs range. */
      maxBlockRange: z.int().positive().default(2_000),
      requestTimeoutMs: ms(10_000),
    })
    .prefault({}),
  provisioning: z
    .strictObject({
      concurrency: z.int().positive().max(1_000).default(32),
      /** How long a machine may take to answer its probe once the cloud says it is running. */
      readyTimeoutMs: ms(600_000),
      retryInitialDelayMs: ms(1_000),
      retryMaxDelayMs: ms(60_000),
      /** Stop retrying this long before the on-chain provisioning deadline. */
      deadlineMarginSeconds: z.int().min(0).default(30),
      /**
       * How long a finished booking's object storage keeps its data, readable but no longer writable,
       * before the bucket is emptied and deleted (after the booking's grace period, if it had one).
       * 0: deleted at the end.
       */
      retentionSeconds: z
        .int()
        .min(0)
        .max(90 * 86_400)
        .default(0),
    })
    .prefault({}),
  /** Calling `BookingRenewals.renew` for served bookings whose consumers set a renewal policy (bookings/renewals.ts). */
  renewals: z
    .strictObject({
      /** False: leave renewals to the consumer or other callers. */
      enabled: z.boolean().default(true),
      /** How often a booking in its renewal window that cannot renew yet (allowance, balance, price) is checked again. */
      recheckSeconds: z.int().positive().default(300),
    })
    .prefault({}),
  probes: z
    .strictObject({
      intervalMs: ms(5_000),
      timeoutMs: ms(2_000),
      concurrency: z.int().positive().max(10_000).default(200),
      /** How often each object storage booking's usage is measured against its capacity (a listing). */
      usageIntervalMs: ms(300_000),
    })
    .prefault({}),
  reporting: z
    .strictObject({
      /** Wait this long after a period ends before reporting it (lets the chain's clock pass it). */
      delaySeconds: z.int().min(0).default(5),
      /** Leave this much of the report window unused, so a batch never lands after it closes. */
      windowMarginSeconds: z.int().min(0).default(30),
      /** While no acceptable proposal came this long after a proposer's turn, the next oracle in turn proposes. */
      takeoverSeconds: z.int().positive().default(60),
      /** Reports (ranges of periods) per submitReports transaction. */
      batchSize: z.int().positive().max(500).default(200),
      /** Most periods in one report: one report settles them all, for much less gas per period. */
      periodsPerReport: z.int().positive().max(MAX_REPORT_PERIODS).default(24),
      /**
       * How long a booking's oldest unreported period may wait for more to join its report (kept
       * within two thirds of the report window).
       */
      maxBatchWaitSeconds: z.int().min(0).default(86_400),
      /**
       * How far another oracle's figures may be from this node's own for it to co-sign them. For uptime,
       * widened by the outage starts and ends the node's probes saw (measure/aggregate.ts).
       */
      tolerance: z
        .strictObject({ uptimeBps: z.int().min(0).default(100), p95LatencyMs: z.int().min(0).default(100) })
        .prefault({}),
      /** Sign resource attestations for served resources when the verifier contract is deployed. */
      attestations: z.boolean().default(true),
      attestationValiditySeconds: z
        .int()
        .positive()
        .default(7 * 86_400),
    })
    .prefault({}),
  /** The peer-to-peer network the oracles sign together over (network/network.ts). */
  network: z
    .strictObject({
      /** Multiaddrs to listen on; default /ip4/127.0.0.1/tcp/${ORACLE_P2P_PORT:-9474} (this machine only). */
      listen: z.array(multiaddr).optional(),
      /** Multiaddrs to announce to peers (the public address of this machine); default: the listen addresses. */
      announce: z.array(multiaddr).default([]),
      /** Other oracles to connect to: /ip4/…/tcp/<port>/p2p/<peer id> (each node prints its own at start). */
      bootstrap: z.array(multiaddr.regex(/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/, "must end with /p2p/<peer id>")).default([]),
      /** Largest message accepted. */
      maxMessageBytes: z
        .int()
        .min(1_024)
        .max(4 * 1_048_576)
        .default(262_144),
      /** Messages per second each peer may publish, and the burst above that. */
      messagesPerSecond: z.number().positive().default(20),
      messagesBurst: z.int().positive().default(200),
      /** Messages stamped further from this node's clock are dropped (replays, stale deliveries). */
      maxClockSkewSeconds: z.int().positive().default(120),
      /** A peer scored below the ban score is disconnected and refused this long. */
      banSeconds: z.int().positive().default(600),
      /** This node's open statements and probe targets are announced again this often (peers that were away catch up). */
      reannounceSeconds: z.int().positive().default(30),
    })
    .prefault({}),
  tx: z
    .strictObject({
      /** A transaction not mined after this long is re-sent with higher fees. */
      bumpAfterMs: ms(30_000),
      /** Fee increase per bump (replacements need at least 10 %). */
      bumpPercent: z.int().min(10).max(500).default(25),
      /** Ceiling for maxFeePerGas, in gwei. */
      maxFeeGwei: z.number().positive().default(500),
      receiptPollMs: ms(1_000),
    })
    .prefault({}),
  adapters: z
    .strictObject({
      /** Where the local adapter may bind workloads; other interfaces are refused. */
      /** Workloads per host process: 1 isolates each booking; more fit many bookings on one machine. */
      local: z.strictObject({ workloadsPerHost: z.int().min(1).max(1_000).default(1) }).prefault({}),
      /**
       * Object storage services, by API and then cloud (each adapter validates its own settings; see
       * docs/clouds.md): `s3.aws`, `s3.local` (an S3-compatible server on this machine), `azureBlob.azure`,
       * `azureBlob.local` (Azurite), `gcs`.
       */
      objectStorage: z
        .strictObject({
          s3: z.partialRecord(z.enum(["aws", "local", "other"]), z.unknown()).optional(),
          azureBlob: z.partialRecord(z.enum(["azure", "local", "other"]), z.unknown()).optional(),
          gcs: z.unknown().optional(),
        })
        .optional(),
    })
    .passthrough()
    .prefault({}),
  http: z.strictObject({ host: z.literal("127.0.0.1").default("127.0.0.1"), port: port.default(9464) }).prefault({}),
  log: z
    .strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
    .prefault({}),
});

const envSchema = z.object({
  ORACLE_CONFIG: z.string().optional(),
  ORACLE_PRIVATE_KEY: privateKey.optional(),
  ORACLE_SSH_KEY_MATERIAL: z
    .string()
    .regex(/^0x([0-9a-fA-F]{2}){32,}$/, "must be 0x and at least 32 bytes of hex")
    .transform((key) => new Secret(key))
    .optional(),
  ORACLE_RPC_URL: loopbackOrHttpUrl.optional(),
  ORACLE_DEPLOYMENTS: z.string().optional(),
  ORACLE_IPFS_API_URL: loopbackOrHttpUrl.optional(),
  ORACLE_DATA_DIR: z.string().optional(),
  ORACLE_HTTP_PORT: port.optional(),
  ORACLE_P2P_PORT: port.optional(),
  ORACLE_P2P_LISTEN: multiaddrList.optional(),
  ORACLE_P2P_ANNOUNCE: multiaddrList.optional(),
  ORACLE_P2P_BOOTSTRAP: multiaddrList.optional(),
  ORACLE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).optional(),
  CHAIN_PORT: port.optional(),
  IPFS_API_PORT: port.optional(),
});

export type FileConfig = z.infer<typeof fileSchema>;

export interface Config extends Omit<FileConfig, "network"> {
  network: FileConfig["network"] & { listen: string[] };
  privateKey: Secret;
  /** What the cloud adapters derive each booking's SSH key from (default: the private key). */
  sshKeyMaterial: Secret;
  rpcUrl: string;
  deploymentsFile: string;
  ipfsApiUrl: string;
  dataDir: string;
  /** The config file it came from. */
  source: string;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid oracle node configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

function problemsOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => `${prefix}${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

/**
 * Reads the configuration: the JSON file named by ORACLE_CONFIG (default: config/local.json, for the
 * local stack), then the environment. Relative paths in the file are taken from the file's folder.
 * Without ORACLE_PRIVATE_KEY, a node talking to a loopback chain uses Hardhat's public test account
 * #2; anything else must be given a key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const envResult = envSchema.safeParse(env);
  if (!envResult.success) throw new ConfigError(problemsOf(envResult.error, "environment "));
  const e = envResult.data;

  const source = resolve(cwd, e.ORACLE_CONFIG ?? LOCAL_CONFIG);
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    throw new ConfigError([`ORACLE_CONFIG: cannot read ${source}: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${source}: not JSON: ${(error as Error).message}`]);
  }
  const fileResult = fileSchema.safeParse(raw);
  if (!fileResult.success) throw new ConfigError(problemsOf(fileResult.error, `${source}: `));
  const file = fileResult.data;

  const rpcUrl = e.ORACLE_RPC_URL ?? `http://127.0.0.1:${e.CHAIN_PORT ?? 8545}`;
  const problems: string[] = [];
  let key = e.ORACLE_PRIVATE_KEY;
  if (!key) {
    if (isLoopback(rpcUrl)) key = new Secret(LOCAL_ORACLE_KEY);
    else problems.push("ORACLE_PRIVATE_KEY: required for a chain that is not on this machine");
  }
  if (file.serve.providers !== "*" && file.serve.providers.length === 0 && file.serve.resources.length === 0) {
    problems.push('serve: list the providers (or "*") and/or resources this node operates for');
  }
  if (problems.length) throw new ConfigError(problems);

  const path = (value: string) => (isAbsolute(value) ? value : resolve(cwd, value));
  return {
    ...file,
    http: { ...file.http, port: e.ORACLE_HTTP_PORT ?? file.http.port },
    log: { level: e.ORACLE_LOG_LEVEL ?? file.log.level },
    network: {
      ...file.network,
      listen: e.ORACLE_P2P_LISTEN ?? file.network.listen ?? [`/ip4/127.0.0.1/tcp/${e.ORACLE_P2P_PORT ?? 9474}`],
      announce: e.ORACLE_P2P_ANNOUNCE ?? file.network.announce,
      bootstrap: e.ORACLE_P2P_BOOTSTRAP ?? file.network.bootstrap,
    },
    privateKey: key!,
    sshKeyMaterial: e.ORACLE_SSH_KEY_MATERIAL ?? key!,
    rpcUrl,
    deploymentsFile: path(e.ORACLE_DEPLOYMENTS ?? resolve(REPOSITORY, "deployments/localhost.json")),
    ipfsApiUrl: e.ORACLE_IPFS_API_URL ?? `http://127.0.0.1:${e.IPFS_API_PORT ?? 5001}`,
    dataDir: path(e.ORACLE_DATA_DIR ?? resolve(REPOSITORY, ".data/oracle-node")),
    source,
  };
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}
