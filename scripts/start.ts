/**
 * `npm start`: the whole D-CloudX stack on this machine, until it is stopped.
 *
 * In order, each healthy before the next: the build of whatever is missing or stale (contracts,
 * ABIs, generated code), a Hardhat node, the deployment (deployments/localhost.json), the local
 * IPFS node, PostgreSQL and graph-node with the subgraph synced, two more oracle signers and a quorum
 * of 2 through a DAO proposal, demo data, the object storage emulators (Azurite, s3rver), three
 * oracle nodes with the `local` adapter (one provisions, all measure and sign; a node that dies is
 * restarted), and the dApp (built for this stack and published to the local IPFS node). Then
 * it prints the URLs, the test wallets and how long each phase took.
 *
 * Ctrl-C, SIGINT, SIGTERM or SIGHUP (the terminal closing), to npm or to this process, stops every
 * service it started, in reverse order, also during start-up; so does the end of the process that
 * started it (npm killed). Its services record their pids under <data>/pids: a start after one
 * that was killed (SIGKILL) stops that start's leftovers first.
 *
 * The Hardhat node keeps its state in memory, so every start is a fresh chain with a fresh
 * deployment and fresh demo data (and a fresh oracle node state). The data folder keeps what makes
 * the next start faster: the PostgreSQL cluster, IPFS blocks and the dApp build. `--fresh` deletes
 * the data folder first.
 *
 * Environment: DATA_DIR (default .data), DEPLOYMENTS_DIR (default deployments), and the ports
 * (@d-cloudx/devstack's DEFAULT_PORTS): CHAIN_PORT, IPFS_API_PORT, POSTGRES_PORT, GRAPH_HTTP_PORT,
 * GRAPH_INDEX_NODE_PORT, GRAPH_ADMIN_PORT, GRAPH_METRICS_PORT, GRAPHIQL_PORT, ORACLE_HTTP_PORT and ORACLE_P2P_PORT
 * (the oracle nodes use each and the next two), DAPP_PORT, AZURITE_BLOB_PORT, S3_PORT.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";

import { getAddress, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

import {
  HARDHAT_MNEMONIC,
  REPOSITORY,
  buildDapp,
  buildWhatIsMissing,
  envPorts,
  gndBinary,
  keepMining,
  localObjectStorageConfig,
  portInUse,
  postgresBinDir,
  publishDapp,
  rpc,
  stackDappEnv,
  startOracles,
  startPostgres,
  startRedirect,
  startGraphiql,
  startStack,
  startStorageEmulators,
  stopChildren,
  stopLocalWorkloads,
  stopRecorded,
} from "@d-cloudx/devstack";

const started = Date.now();
// A closed terminal must not turn the shutdown's progress messages into a crash.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

/** The local oracle nodes: Hardhat accounts (public keys, local chains only); the first provisions. */
const ORACLES = [
  { name: "a", account: 2, provision: true },
  { name: "b", account: 10, provision: false },
  { name: "c", account: 11, provision: false },
];

function fail(problems: string[]): never {
  console.error(`\nnpm start cannot start:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== "--fresh");
if (unknown.length) fail([`unknown argument ${unknown.join(" ")} (the only option is --fresh)`]);

let ports: ReturnType<typeof envPorts>;
try {
  ports = envPorts();
  postgresBinDir();
  gndBinary();
} catch (error) {
  fail([(error as Error).message]);
}
const dataDir = resolve(process.env.DATA_DIR || join(REPOSITORY, ".data"));
const deploymentsDir = resolve(process.env.DEPLOYMENTS_DIR || join(REPOSITORY, "deployments"));
const lockFile = join(dataDir, "start.pid");
const pidDir = join(dataDir, "pids");
const oracleDir = join(dataDir, "oracle-node");
const logDir = join(dataDir, "logs");

/** Stops whatever an earlier start with this data folder left running: its recorded services, workloads and PostgreSQL. */
async function stopLeftovers(): Promise<string[]> {
  const stopped = await stopRecorded(pidDir);
  stopLocalWorkloads(oracleDir, "SIGKILL");
  const cluster = join(dataDir, "postgres");
  if (existsSync(join(cluster, "postmaster.pid"))) {
    const postgres = await startPostgres({ dataDir: cluster, port: ports.POSTGRES_PORT });
    if (!postgres.startedHere) stopped.push("postgres");
    await postgres.stop();
  }
  return stopped;
}

// One start per data folder.
if (existsSync(lockFile)) {
  const pid = Number(readFileSync(lockFile, "utf8"));
  let running = false;
  try {
    process.kill(pid, 0);
    running = pid !== process.pid;
  } catch {
    // Not running.
  }
  if (running) fail([`npm start is already running (pid ${pid}) with the data folder ${dataDir}; stop it with Ctrl-C`]);
  const stopped = await stopLeftovers();
  if (stopped.length)
    console.log(`The last start with ${dataDir} was killed; stopped what it left: ${stopped.join(", ")}`);
}
if (args.includes("--fresh")) {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Deleted ${dataDir}`);
}

const busy: [string, number][] = [];
for (const [name, port] of Object.entries(ports)) {
  // The oracle nodes take the next ports too.
  const taken = name.startsWith("ORACLE_") ? ORACLES.map((_, i) => port + i) : [port];
  for (const p of taken) if (await portInUse(p)) busy.push([name, p]);
}
if (busy.length) {
  fail([
    `in use by another program: ${busy.map(([name, port]) => `${name} ${port}`).join(", ")}. ` +
      "Another D-CloudX stack (npm start with another data folder, npm run node, graph:start) may be running: " +
      `stop it, or choose free ports, e.g.\n    ${busy.map(([name, port]) => `${name}=${port + 10_000}`).join(" ")} npm start`,
  ]);
}

mkdirSync(dataDir, { recursive: true });
writeFileSync(lockFile, String(process.pid));
// A fresh chain: the oracle node's state (cursor, bookings) belongs to the previous one.
rmSync(oracleDir, { recursive: true, force: true });
mkdirSync(oracleDir, { recursive: true });

const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping = false;
async function stopAll(): Promise<number> {
  let exitCode = 0;
  for (const { name, stop } of stops.reverse()) {
    process.stdout.write(`Stopping ${name}… `);
    try {
      await stop();
      console.log("done");
    } catch (error) {
      exitCode = 1;
      console.log(`failed: ${(error as Error).message}`);
    }
  }
  // Whatever a step in progress had started and not yet handed over.
  stopChildren("SIGTERM");
  await stopLeftovers().catch(() => {});
  rmSync(lockFile, { force: true });
  return exitCode;
}
function onSignal(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  void stopAll().then((code) => process.exit(code));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => onSignal(signal));
// npm (or whatever started this process) gone: nobody is left to stop the stack but itself.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) onSignal("parent process gone");
}, 1_000).unref();

const phases: [string, number][] = [];
/** Runs a start-up phase, printing its name, what it reports on the way (`note`) and how long it took. */
async function step<T>(name: string, action: (note: (message: string) => void) => Promise<T>): Promise<T> {
  // Stopping: start nothing more.
  if (stopping) await new Promise(() => {});
  const at = Date.now();
  const elapsed = () => `${((Date.now() - at) / 1000).toFixed(1)} s`;
  let noted = false;
  process.stdout.write(`${name}… `);
  const result = await action((message) => {
    process.stdout.write(`\n  ${message} (${elapsed()})`);
    noted = true;
  });
  console.log(noted ? `\n  done in ${elapsed()}` : elapsed());
  phases.push([name, (Date.now() - at) / 1000]);
  return result;
}

try {
  for (const [name, port] of Object.entries(ports)) process.env[name] = String(port);
  await step("Build (contracts, ABIs)", async (note) => {
    // The dApp's generated code is made for this stack's deployment when the dApp is built.
    const built = await buildWhatIsMissing({ contractsOnly: true, log: note });
    if (built.length === 0) note("all current");
  });
  // The demo needs the ABIs built above.
  const { DEMO_ROLES, seedDemo } = await import("./start/demo/index.ts");
  const { pass: passProposal } = await import("./oracle-signers.ts");
  // The object storage emulators depend on nothing else: they start alongside the chain.
  const emulators = startStorageEmulators({
    dataDir: join(dataDir, "object-storage"),
    logDir,
    azuritePort: ports.AZURITE_BLOB_PORT,
    s3Port: ports.S3_PORT,
    pidDir,
  });
  emulators.catch(() => {}); // awaited below; stopAll stops them by their pid files meanwhile
  const stack = await step("Chain, deployment, IPFS, PostgreSQL and graph-node", (note) =>
    startStack({ dataDir, mode: "shared", deployTo: deploymentsDir, detached: true, pidDir, log: note }),
  );
  stops.push({ name: "chain, IPFS, PostgreSQL and graph-node", stop: stack.stop });
  await step("Subgraph synced", () => stack.graphNode.waitUntilSynced());
  const playground = await step("GraphQL playground", () =>
    startGraphiql(ports.GRAPHIQL_PORT, stack.graphNode.subgraphUrl),
  );
  stops.push({ name: "GraphQL playground", stop: playground.stop });

  const accounts = (await rpc<string[]>(stack.rpcUrl, "eth_accounts")).map((account) => getAddress(account));
  const oracleKeys = ORACLES.map(({ account }) =>
    toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: account }).getHdKey().privateKey!),
  );
  await step(`Oracle set: ${ORACLES.length} signers, quorum 2, through a DAO proposal`, (note) =>
    passProposal(
      { deployment: stack.deployment, rpcUrl: stack.rpcUrl, account: accounts[0]!, log: note },
      {
        add: ORACLES.slice(1)
          .map(({ account }) => accounts[account]!)
          .join(","),
        quorum: "2",
      },
      accounts.slice(0, 10),
    ),
  );
  const demo = await step("Demo data", () =>
    seedDemo({
      rpcUrl: stack.rpcUrl,
      ipfsApiUrl: stack.ipfsUrl,
      deployment: stack.deployment,
      oracleAccounts: ORACLES.map(({ account }) => account),
    }),
  );
  const storage = await step("Object storage emulators (Azurite, s3rver)", () => emulators);
  stops.push({ name: "object storage emulators", stop: storage.stop });

  await step("Demo data indexed", () => stack.graphNode.waitUntilSynced());
  await keepMining(stack.rpcUrl);

  const oracles = await step(`Oracle nodes (${ORACLES.length}, quorum 2)`, () =>
    startOracles({
      rpcUrl: stack.rpcUrl,
      ipfsApiUrl: stack.ipfsUrl,
      deploymentsFile: join(deploymentsDir, "localhost.json"),
      dataDir: oracleDir,
      logDir,
      providers: demo.oracleServes,
      objectStorage: localObjectStorageConfig(storage),
      pidDir,
      nodes: ORACLES.map((oracle, i) => ({
        name: oracle.name,
        privateKey: oracleKeys[i]!,
        provision: oracle.provision,
        httpPort: ports.ORACLE_HTTP_PORT + i,
        p2pPort: ports.ORACLE_P2P_PORT + i,
      })),
      onEvent: (message) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`),
    }),
  );
  stops.push({ name: "oracle nodes", stop: oracles.stop });

  const subgraphUrl = stack.graphNode.subgraphUrl;
  const build = await step("dApp build", () =>
    buildDapp({
      deployment: stack.deployment,
      deploymentsDir,
      outDir: join(dataDir, "dapp"),
      env: stackDappEnv(stack),
    }),
  );
  const dappCid = await step("dApp on IPFS", () => publishDapp(stack.ipfsUrl, build.outDir));
  const dappIpfsUrl = `${stack.ipfsUrl}/ipfs/${dappCid}/`;
  const dapp = await step("dApp address", () => startRedirect(ports.DAPP_PORT, dappIpfsUrl));
  stops.push({ name: "dApp address", stop: dapp.stop });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const rows: [string, string][] = [
    ["dApp", `${dapp.url}  (→ ${dappIpfsUrl})`],
    ["GraphQL endpoint", `${subgraphUrl}  (POST queries here)`],
    ["GraphQL playground", `${playground.url}  (GraphiQL, works offline; the schema documented in its explorer)`],
    ["Chain JSON-RPC", `${stack.rpcUrl}  (chain id ${stack.deployment.chainId}; add it to your wallet)`],
    ["IPFS gateway", `${stack.ipfsUrl}/ipfs/${demo.metadataCid}  (a listing's metadata; any /ipfs/<cid>)`],
    ["IPFS RPC API", `${stack.ipfsUrl}  (Kubo RPC for clients: POST /api/v0/add, /api/v0/cat, …)`],
    ["Oracle health", `${oracles.healthUrls.join(", ")}`],
    ["Oracle metrics", `${oracles.metricsUrls.join(", ")}  (logs/oracle-*.log)`],
    ["Azure Blob (Azurite)", `${storage.azuriteUrl}/devstoreaccount1`],
    ["S3 (s3rver)", storage.s3Url],
    ["Deployment", join(deploymentsDir, "localhost.json")],
    ["Data and logs", `${dataDir}  (logs/)`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\nD-CloudX is running (ready in ${seconds} s${build.built ? "" : ", dApp build reused"}).\n`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
  console.log(
    "\nTest wallets (Hardhat's public development keys: never use them on a real network).\n" +
      `Import into your wallet with network RPC ${stack.rpcUrl}, chain id ${stack.deployment.chainId}:\n`,
  );
  for (const [index, role] of Object.entries(DEMO_ROLES)) {
    const key = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: Number(index) });
    const privateKey =
      key.address === accounts[Number(index)] ? toHex(key.getHdKey().privateKey!) : "(not a default Hardhat account)";
    console.log(`  #${index} ${accounts[Number(index)]}  ${privateKey}  ${role}`);
  }
  console.log(
    `\nDemo: ${demo.providers} providers, ${demo.resources} resources, bookings ` +
      Object.entries(demo.bookings)
        .map(([state, count]) => `${count} ${state}`)
        .join(", ") +
      `, ${demo.periodsReported} SLA periods reported, proposal ${demo.proposalId} open for voting (${stack.deployment.governance.votingPeriodSeconds} s).` +
      "\nAccounts #0–#9 hold DCX votes.",
  );
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
  console.log(
    `\nPhases: ${phases.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(" · ")}` +
      `\n(${cpus().length} cores, load average ${load})` +
      "\n\nCtrl-C stops everything.",
  );
} catch (error) {
  if (!stopping) {
    stopping = true;
    console.error(`\n${(error as Error).message}\n\nLogs: ${logDir}`);
    await stopAll();
    process.exit(1);
  }
}
