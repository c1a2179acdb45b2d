/**
 * `npm run oracle:signers -- <command>`: the oracle set (the SLA signers of SLAEnforcement and the
 * verifiers of ResourceVerifier) and its quorum, changed the only way they change: a DAO proposal,
 * voted, queued in the timelock and executed. The calls are built by the dApp's "Oracle set"
 * governance template (dapp/src/pages/governance/actions.ts), so both check a change the same way.
 *
 *   status                                             signers and quorums
 *   propose [--add A,B] [--remove C] [--quorum N]      proposes the change for both signer sets
 *   vote <proposal id> [for|against|abstain]
 *   queue <proposal id>
 *   execute <proposal id>
 *   pass  [same options as propose]                    local chains only: proposes, votes with the
 *                                                      demo accounts, moves the clock, queues, executes
 *
 * Environment: RPC_URL (default http://127.0.0.1:${CHAIN_PORT:-8545}), DEPLOYMENTS_FILE (default
 * deployments/localhost.json), DAO_PRIVATE_KEY (the account that proposes or votes; on a local
 * Hardhat chain the node's unlocked account #0 by default).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { type Address, type Hex, createPublicClient, createWalletClient, http, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { type Deployment, parseDeployment } from "@d-cloudx/sdk";
import { dAOGovernanceAbi, resourceVerifierAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import {
  type Action,
  SIGNER_SETS,
  buildSignerChange,
  composeDescription,
  descriptionHash,
  knownContracts,
} from "../dapp/src/pages/governance/actions.ts";

const REPOSITORY = fileURLToPath(new URL("../", import.meta.url));
const HARDHAT_CHAIN_ID = 31337;
const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;
const STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"];

export interface SignerChangeOptions {
  add?: string;
  remove?: string;
  quorum?: string;
}

export interface Dao {
  deployment: Deployment;
  rpcUrl: string;
  /** The account that proposes, votes, queues and executes. */
  account: Address;
  log: (message: string) => void;
}

function connect(dao: Dao) {
  const transport = http(dao.rpcUrl);
  const client = createPublicClient({ transport });
  const key = process.env.DAO_PRIVATE_KEY as Hex | undefined;
  const wallet = createWalletClient({ transport, account: key ? privateKeyToAccount(key) : dao.account });
  const governor = dao.deployment.contracts.DAOGovernance.proxy as Address;
  const send = async (functionName: string, args: readonly unknown[], from?: Address) => {
    const hash = await wallet.writeContract({
      chain: null,
      address: governor,
      abi: dAOGovernanceAbi,
      functionName,
      args,
      ...(from ? { account: from } : {}),
    } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
    return receipt;
  };
  return { client, governor, send };
}

/** The calls of a change to both signer sets, checked by the dApp's template. */
export async function signerChangeActions(dao: Dao, options: SignerChangeOptions): Promise<Action[]> {
  const { client } = connect(dao);
  const contracts = knownContracts(dao.deployment);
  const actions: Action[] = [];
  for (const contractName of SIGNER_SETS) {
    const address = dao.deployment.contracts[contractName].proxy as Address;
    const abi = contractName === "SLAEnforcement" ? sLAEnforcementAbi : resourceVerifierAbi;
    const [signerCount, quorum] = await Promise.all([
      client.readContract({ address, abi, functionName: "signerCount" }),
      client.readContract({ address, abi, functionName: "quorum" }),
    ]);
    const built = buildSignerChange(
      contracts,
      { signerCount: Number(signerCount), quorum },
      { contractName, add: options.add ?? "", remove: options.remove ?? "", quorum: options.quorum ?? "" },
    );
    if ("error" in built) throw new Error(`${contractName}: ${built.error}`);
    actions.push(...built.actions);
  }
  return actions;
}

export async function propose(dao: Dao, options: SignerChangeOptions): Promise<bigint> {
  const actions = await signerChangeActions(dao, options);
  const { client, send } = connect(dao);
  const parts = [
    options.add && `add ${options.add}`,
    options.remove && `remove ${options.remove}`,
    options.quorum && `quorum ${options.quorum}`,
  ].filter(Boolean);
  const description = composeDescription(
    `Oracle set: ${parts.join(", ")}`,
    "Changes the SLA signers and verifiers.\n\n" + `Proposed at block ${await client.getBlockNumber()}.`,
  );
  const receipt = await send("propose", [
    actions.map((a) => a.target),
    actions.map((a) => a.value),
    actions.map((a) => a.calldata),
    description,
  ]);
  const [created] = parseEventLogs({ abi: dAOGovernanceAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  const id = created!.args.proposalId;
  dao.log(`Proposal ${id}: ${actions.length} call(s). Next: vote, then queue and execute once it succeeded.`);
  return id;
}

/** The calls and description of a proposal, from its ProposalCreated event. */
async function proposalOf(dao: Dao, id: bigint) {
  const { client, governor } = connect(dao);
  const logs = await client.getLogs({
    address: governor,
    fromBlock: BigInt(dao.deployment.contracts.DAOGovernance.startBlock),
    toBlock: "latest",
  });
  const created = parseEventLogs({ abi: dAOGovernanceAbi, logs, eventName: "ProposalCreated" }).find(
    (e) => e.args.proposalId === id,
  );
  if (!created) throw new Error(`No proposal ${id} on this deployment`);
  const { targets, values, calldatas, description } = created.args;
  return { targets, values, calldatas, descriptionHash: descriptionHash(description) };
}

export async function vote(dao: Dao, id: bigint, support: keyof typeof SUPPORT = "for", from?: Address) {
  await connect(dao).send("castVote", [id, SUPPORT[support]], from);
}

export async function queue(dao: Dao, id: bigint): Promise<void> {
  const p = await proposalOf(dao, id);
  await connect(dao).send("queue", [p.targets, p.values, p.calldatas, p.descriptionHash]);
}

export async function execute(dao: Dao, id: bigint): Promise<void> {
  const p = await proposalOf(dao, id);
  await connect(dao).send("execute", [p.targets, p.values, p.calldatas, p.descriptionHash]);
}

export async function proposalState(dao: Dao, id: bigint): Promise<string> {
  const { client, governor } = connect(dao);
  const state = await client.readContract({
    address: governor,
    abi: dAOGovernanceAbi,
    functionName: "state",
    args: [id],
  });
  return STATES[state] ?? String(state);
}

/** Local chains only: the whole flow, voting with the demo accounts and moving the chain's clock. */
export async function pass(dao: Dao, options: SignerChangeOptions, voters: Address[]): Promise<bigint> {
  const { client, governor } = connect(dao);
  if ((await client.getChainId()) !== HARDHAT_CHAIN_ID) throw new Error("pass is for a local Hardhat chain only");
  const rpc = (method: string, params: unknown[] = []) => client.request({ method, params } as never);
  const advance = async (seconds: number) => {
    await rpc("evm_increaseTime", [seconds]);
    await rpc("evm_mine");
  };
  const read = (functionName: "votingDelay" | "votingPeriod", args: readonly unknown[] = []) =>
    client.readContract({ address: governor, abi: dAOGovernanceAbi, functionName, args } as never) as Promise<bigint>;
  const id = await propose(dao, options);
  await advance(Number(await read("votingDelay")) + 1);
  for (const voter of voters) await vote(dao, id, "for", voter);
  await advance(Number(await read("votingPeriod")) + 1);
  await queue(dao, id);
  const eta = (await client.readContract({
    address: governor,
    abi: dAOGovernanceAbi,
    functionName: "proposalEta",
    args: [id],
  })) as bigint;
  const { timestamp } = await client.getBlock();
  await advance(Math.max(Number(eta - timestamp), 0) + 1);
  await execute(dao, id);
  dao.log(`Proposal ${id} executed`);
  return id;
}

export async function status(dao: Dao): Promise<string> {
  const { client } = connect(dao);
  const lines: string[] = [];
  for (const contractName of SIGNER_SETS) {
    const address = dao.deployment.contracts[contractName].proxy as Address;
    const abi = contractName === "SLAEnforcement" ? sLAEnforcementAbi : resourceVerifierAbi;
    const logs = await client.getLogs({
      address,
      fromBlock: BigInt(dao.deployment.contracts[contractName].startBlock),
      toBlock: "latest",
    });
    const signers = new Set<string>();
    for (const e of parseEventLogs({ abi, logs, eventName: ["SignerAdded", "SignerRemoved"] })) {
      if (e.eventName === "SignerAdded") signers.add(e.args.signer);
      else signers.delete(e.args.signer);
    }
    const quorum = await client.readContract({ address, abi, functionName: "quorum" });
    lines.push(`${contractName}: quorum ${quorum} of ${signers.size}: ${[...signers].join(", ")}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      add: { type: "string" },
      remove: { type: "string" },
      quorum: { type: "string" },
    },
  });
  const [command, id, support] = positionals;
  const file = resolve(process.env.DEPLOYMENTS_FILE ?? resolve(REPOSITORY, "deployments/localhost.json"));
  const deployment = parseDeployment(JSON.parse(readFileSync(file, "utf8")), file);
  const rpcUrl = process.env.RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? 8545}`;
  const client = createPublicClient({ transport: http(rpcUrl) });
  const chainId = await client.getChainId();
  if (chainId !== deployment.chainId)
    throw new Error(`${rpcUrl} is chain ${chainId}, ${file} is for ${deployment.chainId}`);
  let account: Address;
  if (process.env.DAO_PRIVATE_KEY) account = privateKeyToAccount(process.env.DAO_PRIVATE_KEY as Hex).address;
  else if (chainId === HARDHAT_CHAIN_ID)
    [account] = (await client.request({ method: "eth_accounts" } as never)) as [Address];
  else throw new Error("DAO_PRIVATE_KEY: the account that proposes or votes (it needs DCX votes delegated to it)");
  const dao: Dao = { deployment, rpcUrl, account, log: console.log };
  const proposalId = () => {
    if (!id || !/^[0-9]+$/.test(id)) throw new Error(`${command} needs a proposal id`);
    return BigInt(id);
  };
  switch (command) {
    case "status":
      console.log(await status(dao));
      break;
    case "propose":
      await propose(dao, values);
      break;
    case "vote":
      if (support && !(support in SUPPORT)) throw new Error("vote: for, against or abstain");
      await vote(dao, proposalId(), (support ?? "for") as keyof typeof SUPPORT);
      console.log(`Voted ${support ?? "for"}; proposal ${id} is ${await proposalState(dao, proposalId())}`);
      break;
    case "queue":
      await queue(dao, proposalId());
      console.log(`Queued; proposal ${id} is ${await proposalState(dao, proposalId())}`);
      break;
    case "execute":
      await execute(dao, proposalId());
      console.log(`Executed.\n${await status(dao)}`);
      break;
    case "pass": {
      const voters = ((await client.request({ method: "eth_accounts" } as never)) as Address[]).slice(0, 10);
      await pass(dao, values, voters);
      console.log(await status(dao));
      break;
    }
    default:
      throw new Error(
        "usage: npm run oracle:signers -- status | propose | vote | queue | execute | pass (see scripts/oracle-signers.ts)",
      );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
