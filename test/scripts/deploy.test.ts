import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { Contract, JsonRpcProvider, Network } from "ethers";

import { freePort } from "@d-cloudx/devstack/process";
import { readDeployment } from "@d-cloudx/sdk";

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
