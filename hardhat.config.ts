import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import upgrades from "@openzeppelin/hardhat-upgrades";
import { configVariable, defineConfig } from "hardhat/config";

import { envPort } from "@d-cloudx/devstack/ports";

// solc is compiled from the npm `solc` package (WebAssembly) so that builds never download a
// compiler. Hardhat does not read the version from the file, so it comes from solc's package.json.
const solcPath = fileURLToPath(import.meta.resolve("solc/soljson.js"));
const solcVersion: string = JSON.parse(
  readFileSync(fileURLToPath(import.meta.resolve("solc/package.json")), "utf8"),
).version;

const compiler = (settings: { viaIR: boolean; runs: number }) => ({
  version: solcVersion,
  path: solcPath,
  settings: { evmVersion: "prague", viaIR: settings.viaIR, optimizer: { enabled: true, runs: settings.runs } },
});

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, upgrades],
  solidity: {
    // `default` (the local chain, the tests, npm start) skips the IR pipeline, which takes most of
    // a clean build's time; `production` is what public networks get and what bench:gas measures.
    // Some contracts exceed 24 KiB without via-IR: the local chains allow unlimited contract size.
    profiles: {
      default: compiler({ viaIR: false, runs: 200 }),
      production: {
        compilers: [compiler({ viaIR: true, runs: 1000 })],
        // The escrow holds the most code: tuned for size so it stays within EIP-170 (24 KiB).
        overrides: { "contracts/core/EscrowManager.sol": compiler({ viaIR: true, runs: 200 }) },
      },
    },
    npmFilesToBuild: [
      "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol",
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
      "@openzeppelin/contracts/governance/TimelockController.sol",
    ],
  },
  test: {
    solidity: {
      fuzz: { runs: 512 },
      invariant: { runs: 64, depth: 100, failOnRevert: false },
    },
  },
  networks: {
    // The in-process chain of the tests and scripts (`default`) and the stack's chain (`node`).
    default: {
      type: "edr-simulated",
      chainType: "l1",
      allowUnlimitedContractSize: true,
    },
    node: {
      type: "edr-simulated",
      chainType: "l1",
      allowUnlimitedContractSize: true,
    },
    localhost: {
      type: "http",
      chainType: "l1",
      url: `http://127.0.0.1:${envPort("CHAIN_PORT")}`,
    },
    baseSepolia: {
      type: "http",
      chainType: "op",
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
});
