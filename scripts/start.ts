/**
 * `npm start`: the whole D-CloudX stack on this machine, until Ctrl-C.
 *
 * In order, each healthy before the next: a Hardhat node, the deployment (deployments/localhost.json),
 * the local IPFS node, PostgreSQL and graph-node with the subgraph synced, two more oracle signers and a
 * quorum of 2 through a DAO proposal, demo data, three oracle nodes with the `local` adapter (one
 * provisions, all measure and sign; a node that dies is restarted), and the dApp (built for this stack and published to the local IPFS
 * node). Then it prints the URLs and the test wallets. SIGINT or SIGTERM stops everything in
 * reverse order.
 *
 * The Hardhat node keeps its state in memory, so every start is a fresh chain with a fresh
 * deployment and fresh demo data (and a fresh oracle node state). The data folder keeps what makes
 * the next start faster: the PostgreSQL cluster, IPFS blocks and the dApp build. `--fresh` deletes
 * the data folder first.
 *
 * Environment: DATA_DIR (default .data), DEPLOYMENTS_DIR (default deployments), CHAIN_PORT,
 * IPFS_API_PORT, POSTGRES_PORT, GRAPH_HTTP_PORT, GRAPH_INDEX_NODE_PORT, GRAPH_ADMIN_PORT,
 * GRAPH_METRICS_PORT, ORACLE_HTTP_PORT and ORACLE_P2P_PORT (the oracle nodes use it and the next two),
 * DAPP_PORT.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY = fileURLToPath(new URL("../", import.meta.url));
const started = Date.now();

/** Hardhat's default accounts come from this public mnemonic: their keys are for local chains only. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const PORTS: Record<string, number> = {
  CHAIN_PORT: 8545,
  IPFS_API_PORT: 5001,
  POSTGRES_PORT: 5433,
  GRAPH_HTTP_PORT: 8000,
  GRAPH_INDEX_NODE_PORT: 8030,
  GRAPH_ADMIN_PORT: 8020,
  GRAPH_METRICS_PORT: 8040,
  ORACLE_HTTP_PORT: 9464,
  ORACLE_P2P_PORT: 9474,
  DAPP_PORT: 4173,
};
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

// Prerequisites, checked before anything that needs them is loaded.
const missing: string[] = [];
if (!existsSync(join(REPOSITORY, "node_modules/hardhat/package.json"))) {
  missing.push("dependencies are not installed: run `npm ci`");
} else {
  if (!existsSync(join(REPOSITORY, "artifacts/contracts/core/ResourceMarketplace.sol/ResourceMarketplace.json"))) {
    missing.push("contracts are not compiled: run `npm run compile`");
  }
  if (!existsSync(join(REPOSITORY, "sdk/src/generated/abis.ts"))) {
    missing.push("the sdk's ABIs are not generated: run `npm run compile`");
  }
}
if (missing.length) fail(missing);

const { envPort, portInUse } = await import("./services/process.ts");
const { postgresBinDir, startPostgres } = await import("./services/postgres.ts");
const { gndBinary } = await import("./services/graph-node.ts");
for (const check of [postgresBinDir, gndBinary]) {
  try {
    check();
  } catch (error) {
    missing.push((error as Error).message);
  }
}
if (missing.length) fail(missing);

const ports: Record<string, number> = {};
try {
  for (const [name, fallback] of Object.entries(PORTS)) ports[name] = envPort(name, fallback);
} catch (error) {
  fail([(error as Error).message]);
}
const dataDir = resolve(process.env.DATA_DIR || join(REPOSITORY, ".data"));
const deploymentsDir = resolve(process.env.DEPLOYMENTS_DIR || join(REPOSITORY, "deployments"));
const lockFile = join(dataDir, "start.pid");
const oracleDir = join(dataDir, "oracle-node");
const logDir = join(dataDir, "logs");

// One start per data folder; a start that was killed may have left its local workloads and its
// PostgreSQL server running.
const { stopLocalWorkloads, startOracles } = await import("./start/oracle.ts");
const killedBefore = existsSync(lockFile);
if (killedBefore) {
  const pid = Number(readFileSync(lockFile, "utf8"));
  try {
    process.kill(pid, 0);
    fail([`npm start is already running (pid ${pid}) with the data folder ${dataDir}; stop it with Ctrl-C`]);
  } catch {
    // Not running.
  }
  stopLocalWorkloads(oracleDir);
  if (existsSync(join(dataDir, "postgres", "postmaster.pid"))) {
    await (await startPostgres({ dataDir: join(dataDir, "postgres"), port: ports.POSTGRES_PORT! })).stop();
  }
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
  const culprit = killedBefore
    ? "The last npm start with this data folder was killed and may have left its services running"
    : "Another D-CloudX stack (npm start, npm run node, graph:start) may be running";
  fail([
    `in use by another program: ${busy.map(([name, port]) => `${name} ${port}`).join(", ")}. ${culprit}: ` +
      `stop it, or choose free ports, e.g.\n    ${busy.map(([name, port]) => `${name}=${port + 10_000}`).join(" ")} npm start`,
  ]);
}

mkdirSync(dataDir, { recursive: true });
writeFileSync(lockFile, String(process.pid));
// A fresh chain: the oracle node's state (cursor, bookings) belongs to the previous one.
rmSync(oracleDir, { recursive: true, force: true });
mkdirSync(oracleDir, { recursive: true });

const { startStack } = await import("../subgraph/scripts/lib/stack.ts");
const { seedDemo, DEMO_ROLES } = await import("./start/demo.ts");
const { buildDapp, publishDapp, startRedirect } = await import("./start/dapp.ts");
const { keepMining, rpc } = await import("./services/chain.ts");
const { pass: passProposal } = await import("./oracle-signers.ts");
const { toHex, getAddress } = await import("viem");
const { mnemonicToAccount } = await import("viem/accounts");

const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping = false;
let exitCode = 0;
async function stopAll(): Promise<void> {
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
  rmSync(lockFile, { force: true });
}
/** Ctrl-C during start-up takes effect after the step in progress. */
function onSignal(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  if (ready) void stopAll().then(() => process.exit(exitCode));
}
let ready = false;
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

/** Runs a start-up step, printing its name, what it reports on the way (`note`) and how long it took. */
async function step<T>(name: string, action: (note: (message: string) => void) => Promise<T>): Promise<T> {
  if (stopping) throw new Error("stopped");
  const at = Date.now();
  const elapsed = () => `${((Date.now() - at) / 1000).toFixed(1)} s`;
  let noted = false;
  process.stdout.write(`${name}… `);
  const result = await action((message) => {
    process.stdout.write(`\n  ${message} (${elapsed()})`);
    noted = true;
  });
  console.log(noted ? `\n  done in ${elapsed()}` : elapsed());
  if (stopping) throw new Error("stopped");
  return result;
}

try {
  for (const [name, port] of Object.entries(ports)) process.env[name] = String(port);
  const stack = await step("Chain, deployment, IPFS, PostgreSQL and graph-node", (note) =>
    startStack({ dataDir, mode: "shared", deployTo: deploymentsDir, detached: true, log: note }),
  );
  stops.push({ name: "chain, IPFS, PostgreSQL and graph-node", stop: stack.stop });
  await step("Subgraph synced", () => stack.graphNode.waitUntilSynced());

  const accounts = (await rpc<string[]>(stack.rpcUrl, "eth_accounts")).map((account) => getAddress(account));
  const oracleKeys = ORACLES.map(({ account }) =>
    toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: account }).getHdKey().privateKey!),
  );
  await step(`Oracle set: ${ORACLES.length} signers, quorum 2, through a DAO proposal`, (note) =>
    passProposal(
      {
        deployment: stack.deployment,
        rpcUrl: stack.rpcUrl,
        account: accounts[0]! as `0x${string}`,
        log: note,
      },
      {
        add: ORACLES.slice(1)
          .map(({ account }) => accounts[account]!)
          .join(","),
        quorum: "2",
      },
      accounts.slice(0, 10) as `0x${string}`[],
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
  await step("Demo data indexed", () => stack.graphNode.waitUntilSynced());
  await keepMining(stack.rpcUrl);

  const oracles = await step(`Oracle nodes (${ORACLES.length}, quorum 2)`, () =>
    startOracles({
      rpcUrl: stack.rpcUrl,
      ipfsApiUrl: stack.ipfsUrl,
      deploymentsFile: join(deploymentsDir, "localhost.json"),
      dataDir: oracleDir,
      logDir,
      providers: [accounts[3]!],
      nodes: ORACLES.map((oracle, i) => ({
        name: oracle.name,
        privateKey: oracleKeys[i]!,
        provision: oracle.provision,
        httpPort: ports.ORACLE_HTTP_PORT! + i,
        p2pPort: ports.ORACLE_P2P_PORT! + i,
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
      env: {
        VITE_RPC_URL: stack.rpcUrl,
        VITE_SUBGRAPH_URL: subgraphUrl,
        VITE_IPFS_API_URL: stack.ipfsUrl,
        VITE_IPFS_GATEWAY_URL: stack.ipfsUrl,
      },
    }),
  );
  const dappCid = await step("dApp on IPFS", () => publishDapp(stack.ipfsUrl, build.outDir));
  const dappIpfsUrl = `${stack.ipfsUrl}/ipfs/${dappCid}/`;
  const dapp = await step("dApp address", () => startRedirect(ports.DAPP_PORT!, dappIpfsUrl));
  stops.push({ name: "dApp address", stop: dapp.stop });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const rows: [string, string][] = [
    ["dApp", `${dapp.url}  (→ ${dappIpfsUrl})`],
    ["GraphQL endpoint", subgraphUrl],
    ["GraphQL playground", `${subgraphUrl}/graphql`],
    ["Chain JSON-RPC", `${stack.rpcUrl}  (chain id ${stack.deployment.chainId})`],
    ["IPFS RPC API", `${stack.ipfsUrl}/api/v0`],
    ["IPFS gateway", `${stack.ipfsUrl}/ipfs/<cid>  (e.g. /ipfs/${demo.metadataCid})`],
    ["Oracle health", oracles.healthUrls[0]!],
    [
      "Oracle nodes",
      `${oracles.healthUrls.map((url) => new URL(url).port).join(", ")} (/healthz, /metrics; logs/oracle-*.log)`,
    ],
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
      `, ${demo.reports} SLA reports, proposal ${demo.proposalId} open for voting (${stack.deployment.governance.votingPeriodSeconds} s).` +
      "\nAccounts #0–#9 hold DCX votes. Ctrl-C stops everything.",
  );
  ready = true;
  if (stopping) await stopAll().then(() => process.exit(exitCode));
} catch (error) {
  if (!stopping) console.error(`\n${(error as Error).message}\n\nLogs: ${logDir}`);
  await stopAll();
  process.exit(stopping ? exitCode : 1);
}
