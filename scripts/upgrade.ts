/**
 * Upgrades one D-CloudX contract through the DAO.
 *
 *   npm run upgrade -- <Contract> [--to <Implementation>] [--network <name>]
 *
 * <Contract> is a key of deployments/<network>.json `contracts` (e.g. EscrowManager); the new
 * implementation is the contract of that name as it is now compiled, or the artifact named by --to.
 * The new implementation's storage layout is first validated against the deployed one (the upgrade
 * stops on any incompatibility), then deployed. On a local chain the whole governance flow runs:
 * a demo account proposes `upgradeToAndCall`, the demo accounts vote, time is advanced past the
 * voting period and the timelock delay, and the proposal is queued and executed. On a public network
 * the proposal's targets, values and calldata are printed for a DCX holder to propose.
 */
import { parseArgs } from "node:util";

import { upgrades } from "@openzeppelin/hardhat-upgrades";
import hre from "hardhat";

import { type ContractName, readDeployment } from "@d-cloudx/sdk";
import type { DAOGovernance } from "../types/ethers-contracts/index.ts";
import type { Connection } from "./lib/core.ts";
import { type ProposalActions, passProposal } from "./lib/governance.ts";
import { LOCAL_CHAIN_ID } from "./lib/protocol.ts";

const { positionals, values: options } = parseArgs({
  allowPositionals: true,
  options: { to: { type: "string" }, network: { type: "string", default: "localhost" } },
});
const name = positionals[0] as ContractName | undefined;
const network = options.network!;
const deployment = readDeployment(network, process.env.DEPLOYMENTS_DIR ?? "deployments");
if (!name || !(name in deployment.contracts)) {
  console.error(`Usage: npm run upgrade -- <Contract> [--to <Implementation>] [--network <name>]
Contracts: ${Object.keys(deployment.contracts).join(", ")}`);
  process.exit(1);
}
const implementationName = options.to ?? name;
const proxy = deployment.contracts[name].proxy;

const connection: Connection = await hre.network.create({ network });
const { ethers } = connection;
const api = await upgrades(hre, connection);
const factory = await ethers.getContractFactory(implementationName);

console.log(`Validating ${implementationName} as an upgrade of ${name} at ${proxy}…`);
try {
  await api.validateUpgrade(proxy, factory, { kind: "uups" });
} catch (error) {
  console.error(`${implementationName} cannot replace ${name}; nothing was proposed.\n${(error as Error).message}`);
  process.exit(1);
}
const implementation = (await api.prepareUpgrade(proxy, factory, { kind: "uups" })) as string;
console.log(`New implementation: ${implementation}`);

const target = await ethers.getContractAt(name, proxy);
const actions: ProposalActions = {
  targets: [proxy],
  values: [0n],
  calldatas: [target.interface.encodeFunctionData("upgradeToAndCall", [implementation, "0x"])],
  description: `Upgrade ${name} to ${implementationName} at ${implementation}`,
};
const governor = (await ethers.getContractAt(
  "DAOGovernance",
  deployment.contracts.DAOGovernance.proxy,
)) as unknown as DAOGovernance;

if ((await ethers.provider.getNetwork()).chainId === LOCAL_CHAIN_ID) {
  // Demo accounts #0–#9 hold DCX delegated to themselves (scripts/lib/protocol.ts).
  const voters = (await ethers.getSigners()).slice(0, 10);
  await passProposal(connection, governor, voters, actions, (message) => console.log(`Proposal ${message}`));
  const current = await api.erc1967.getImplementationAddress(proxy);
  if (current.toLowerCase() !== implementation.toLowerCase()) {
    throw new Error(`The proposal executed but ${name} still points at ${current}`);
  }
  console.log(`${name} now runs ${implementationName} (${implementation}).`);
} else {
  console.log(`Propose this to the DAO governor at ${await governor.getAddress()}:`);
  console.log(
    JSON.stringify(
      { ...actions, values: actions.values.map(String), descriptionHash: ethers.id(actions.description) },
      null,
      2,
    ),
  );
}
