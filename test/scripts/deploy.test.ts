import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { Contract, ContractFactory, type InterfaceAbi, JsonRpcProvider, Network, ZeroAddress, toBeHex } from "ethers";

import { freePort } from "@d-cloudx/devstack/process";
import { readDeployment } from "@d-cloudx/sdk";
import { checkLaunchAllocation } from "../../scripts/lib/governance.ts";
import { LIVE_NETWORKS } from "../../scripts/lib/networks.ts";

const ZERO_HASH = "0x" + "00".repeat(32);
const ROLES_ABI = [
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function UPGRADER_ROLE() view returns (bytes32)",
];

/** Hardhat's CLI, run with this process's Node (22) so that signals reach it directly. */
const HARDHAT = fileURLToPath(import.meta.resolve("hardhat/package.json")).replace(/package\.json$/, "dist/src/cli.js");

function hardhat(args: string[], env: NodeJS.ProcessEnv, output: "pipe" | "ignore" = "pipe"): ChildProcess {
  return spawn(process.execPath, [HARDHAT, ...args], { env, stdio: ["ignore", output, output] });
}

/** The exit code and output of a finished process. */
function outcome(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

async function finished(child: ChildProcess): Promise<string> {
  const { code, output } = await outcome(child);
  if (code !== 0) throw new Error(`exited ${code}:\n${output}`);
  return output;
}

function upgradeScript(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["scripts/upgrade.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
}

async function waitForChain(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
  for (;;) {
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      if (response.ok) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("scripts/deploy.ts", function () {
  this.timeout(120_000);
  let node: ChildProcess | undefined;
  let directory: string;

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), "dcloudx-deployments-"));
  });

  after(function () {
    node?.kill("SIGINT");
    rmSync(directory, { recursive: true, force: true });
  });

  let env: NodeJS.ProcessEnv;
  let url: string;

  it("deploys to a local node, as the README says, and writes a valid deployments file", async function () {
    const port = await freePort();
    env = { ...process.env, CHAIN_PORT: String(port), DEPLOYMENTS_DIR: directory };
    node = hardhat(["node", "--hostname", "127.0.0.1", "--port", String(port)], env, "ignore");
    url = `http://127.0.0.1:${port}`;
    await waitForChain(url, 60_000);

    await finished(hardhat(["run", "scripts/deploy.ts", "--network", "localhost", "--no-compile"], env));

    const deployment = readDeployment("localhost", directory);
    expect(deployment.chainId).to.equal(31337);
    expect(deployment.paymentTokens.map((t) => t.symbol)).to.deep.equal(["ETH", "USDC", "DAI", "DCX"]);
    const provider = new JsonRpcProvider(url, Network.from(31337), { staticNetwork: true });
    try {
      const [deployer] = await provider.listAccounts();
      const { timelock } = deployment.governance;
      expect(await provider.getCode(timelock)).to.not.equal("0x");
      for (const [name, contract] of Object.entries(deployment.contracts)) {
        expect(await provider.getCode(contract.proxy)).to.not.equal("0x");
        expect(await provider.getCode(contract.implementation)).to.not.equal("0x");
        expect(contract.startBlock).to.be.greaterThan(0);
        if (name === "DAOGovernance") continue;
        // Every admin and upgrader role went to the DAO's timelock; the deployer kept none.
        const roles = new Contract(contract.proxy, ROLES_ABI, provider);
        for (const role of [ZERO_HASH, await roles.getFunction("UPGRADER_ROLE")()]) {
          expect(await roles.getFunction("hasRole")(role, timelock), `${name} timelock`).to.equal(true);
          expect(await roles.getFunction("hasRole")(role, deployer!.address), `${name} deployer`).to.equal(false);
        }
      }
    } finally {
      provider.destroy();
    }
  });

  it("upgrades a contract through a DAO proposal, and refuses a layout-breaking implementation", async function () {
    const { proxy } = readDeployment("localhost", directory).contracts.EscrowManager;
    const bad = await outcome(upgradeScript(["EscrowManager", "--to", "EscrowManagerV2BadLayout"], env));
    expect(bad.code).to.equal(1);
    expect(bad.output).to.match(/nothing was proposed[\s\S]*Inserted `feeCollector`/);

    const output = await finished(upgradeScript(["EscrowManager", "--to", "EscrowManagerV2"], env));
    expect(output).to.match(/Proposal executed/);
    const provider = new JsonRpcProvider(url, Network.from(31337), { staticNetwork: true });
    try {
      const v2 = new Contract(proxy, ["function version() view returns (uint256)"], provider);
      expect(await v2.getFunction("version")()).to.equal(2n);
    } finally {
      provider.destroy();
    }
  });
});

/** Hardhat's first default account, funded on every node it starts. */
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BASE_SEPOLIA = 84_532;

describe("scripts/deploy.ts on a public network", function () {
  this.timeout(300_000);
  let node: ChildProcess | undefined;
  let directory: string;
  let url: string;
  let base: NodeJS.ProcessEnv;

  /** Runs the deployment against the spawned node as `baseSepolia`, with `roles` as environment. */
  function deploy(roles: Record<string, string>) {
    return outcome(
      hardhat(
        ["--build-profile", "production", "run", "scripts/deploy.ts", "--network", "baseSepolia", "--no-compile"],
        {
          ...base,
          ...roles,
        },
      ),
    );
  }

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), "dcloudx-public-deployments-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // A node that is Base Sepolia as far as the deployment can tell: its chain id and chain type.
    base = {
      ...process.env,
      BASE_SEPOLIA_RPC_URL: url,
      DEPLOYER_PRIVATE_KEY: DEPLOYER_KEY,
      DEPLOYMENTS_DIR: directory,
    };
    for (const name of ["TREASURY_ADDRESS", "GUARDIAN_ADDRESS", "ORACLE_ADDRESSES", "VERIFIER_ADDRESSES"])
      delete base[name];
    node = hardhat(
      [
        "node",
        "--hostname",
        "127.0.0.1",
        "--port",
        String(port),
        "--chain-id",
        String(BASE_SEPOLIA),
        "--chain-type",
        "op",
      ],
      base,
      "ignore",
    );
    await waitForChain(url, 60_000);
    await installLiveFeeds(url);
  });

  after(function () {
    node?.kill("SIGINT");
    rmSync(directory, { recursive: true, force: true });
  });

  const provider = () => new JsonRpcProvider(url, Network.from(BASE_SEPOLIA), { staticNetwork: true });
  const addresses = async () => (await provider().listAccounts()).map((a) => a.address);

  it("refuses to fall back to the deployer for the treasury, guardian, oracles or verifiers", async function () {
    const { code, output } = await deploy({});
    expect(code).to.equal(1);
    expect(output).to.include(
      "Not deploying to baseSepolia: Set TREASURY_ADDRESS, GUARDIAN_ADDRESS, ORACLE_ADDRESSES, VERIFIER_ADDRESSES",
    );
  });

  it("refuses a single oracle or a single verifier", async function () {
    const [, treasury, a, b, guardian] = await addresses();
    const roles = { TREASURY_ADDRESS: treasury!, GUARDIAN_ADDRESS: guardian! };
    const oneOracle = await deploy({ ...roles, ORACLE_ADDRESSES: a!, VERIFIER_ADDRESSES: `${a},${b}` });
    expect(oneOracle.code).to.equal(1);
    expect(oneOracle.output).to.include("The oracle quorum of 2 needs at least 2 oracle addresses (got 1)");
    const oneVerifier = await deploy({ ...roles, ORACLE_ADDRESSES: `${a},${b}`, VERIFIER_ADDRESSES: b! });
    expect(oneVerifier.code).to.equal(1);
    expect(oneVerifier.output).to.include("The verifier quorum of 2 needs at least 2 verifier addresses (got 1)");
  });

  it("refuses a launch allocation that lets one holder meet the quorum alone", function () {
    const timelock = "0x000000000000000000000000000000000000dEaD";
    const holder = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    expect(() => checkLaunchAllocation([{ to: timelock, amount: 400n }], timelock, 4)).to.not.throw();
    expect(() =>
      checkLaunchAllocation(
        [
          { to: timelock, amount: 96n },
          { to: holder, amount: 4n },
        ],
        timelock,
        4,
      ),
    ).to.throw(/enough to meet the 4 % quorum alone/);
  });

  it("deploys with 2-of-n quorums and the treasury's DCX held by the timelock, voting for nobody", async function () {
    const [deployer, treasury, a, b, guardian, c] = await addresses();
    const { code, output } = await deploy({
      TREASURY_ADDRESS: treasury!,
      GUARDIAN_ADDRESS: guardian!,
      ORACLE_ADDRESSES: `${a},${b},${c}`,
      VERIFIER_ADDRESSES: `${a},${c}`,
    });
    expect(code, output).to.equal(0);
    const deployment = readDeployment("baseSepolia", directory);
    expect(deployment.chainId).to.equal(BASE_SEPOLIA);
    const chain = provider();
    try {
      const quorumAbi = ["function quorum() view returns (uint16)", "function signerCount() view returns (uint256)"];
      const sla = new Contract(deployment.contracts.SLAEnforcement.proxy, quorumAbi, chain);
      expect(await sla.getFunction("quorum")()).to.equal(2n);
      expect(await sla.getFunction("signerCount")()).to.equal(3n);
      const verifier = new Contract(deployment.contracts.ResourceVerifier.proxy, quorumAbi, chain);
      expect(await verifier.getFunction("quorum")()).to.equal(2n);
      const marketplace = new Contract(
        deployment.contracts.ResourceMarketplace.proxy,
        ["function oracleSigners() view returns (address)", "function hasRole(bytes32, address) view returns (bool)"],
        chain,
      );
      expect(await marketplace.getFunction("oracleSigners")()).to.equal(deployment.contracts.SLAEnforcement.proxy);
      const escrow = new Contract(
        deployment.contracts.EscrowManager.proxy,
        ["function settings() view returns ((address treasury, uint16, uint32, uint32, uint16, uint32))"],
        chain,
      );
      expect((await escrow.getFunction("settings")())[0]).to.equal(treasury);

      const { timelock } = deployment.governance;
      const dcx = new Contract(
        deployment.contracts.DCXToken.proxy,
        [
          "function totalSupply() view returns (uint256)",
          "function balanceOf(address) view returns (uint256)",
          "function delegates(address) view returns (address)",
          "function getVotes(address) view returns (uint256)",
        ],
        chain,
      );
      const supply: bigint = await dcx.getFunction("totalSupply")();
      expect(supply).to.be.greaterThan(0n);
      expect(await dcx.getFunction("balanceOf")(timelock)).to.equal(supply);
      expect(await dcx.getFunction("delegates")(timelock)).to.equal(ZeroAddress);
      for (const account of [deployer!, treasury!, guardian!, a!, b!, c!, timelock]) {
        expect(await dcx.getFunction("getVotes")(account), account).to.equal(0n);
      }
    } finally {
      chain.destroy();
    }
  });
});

/**
 * Puts working Chainlink-style feeds (and tokens) at the addresses scripts/lib/networks.ts names for
 * Base Sepolia, on a node that only pretends to be it: the code of mocks deployed here, with their
 * decimals and a fresh answer.
 */
async function installLiveFeeds(url: string): Promise<void> {
  const chain = new JsonRpcProvider(url, Network.from(BASE_SEPOLIA), { staticNetwork: true });
  try {
    const deployer = await chain.getSigner(0);
    const artifact = (path: string) =>
      JSON.parse(readFileSync(new URL(`../../artifacts/${path}`, import.meta.url), "utf8")) as {
        abi: InterfaceAbi;
        bytecode: string;
      };
    const feedArtifact = artifact(
      "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol/MockV3Aggregator.json",
    );
    const tokenArtifact = artifact("contracts/mocks/MockERC20.sol/MockERC20.json");
    for (const token of LIVE_NETWORKS.baseSepolia!.paymentTokens) {
      const price = token.symbol === "ETH" ? 3_000n * 10n ** 8n : 10n ** 8n;
      const feed = await new ContractFactory(feedArtifact.abi, feedArtifact.bytecode, deployer).deploy(8, price);
      await chain.send("hardhat_setCode", [token.priceFeed, await chain.getCode(await feed.getAddress())]);
      await chain.send("hardhat_setStorageAt", [token.priceFeed, "0x0", toBeHex(8, 32)]);
      const live = new Contract(token.priceFeed, feedArtifact.abi, deployer);
      await (await live.getFunction("updateAnswer")(price)).wait();
      if (token.address === ZeroAddress) continue;
      const mock = await new ContractFactory(tokenArtifact.abi, tokenArtifact.bytecode, deployer).deploy(
        token.symbol,
        token.symbol,
        6,
      );
      await chain.send("hardhat_setCode", [token.address, await chain.getCode(await mock.getAddress())]);
    }
  } finally {
    chain.destroy();
  }
}
