/**
 * `npm run oracle:signers -- <command>`: the oracle set (the SLA signers of SLAEnforcement and the
 * verifiers of ResourceVerifier) and its quorum, changed the only way they change: a DAO proposal,
 * voted, queued in the timelock and executed. The calls are built by the sdk's oracle-set template
 * (`oracleSetActions`), as `dcx gov propose oracle-signers` and the dApp build them, so all check a
 * change the same way.
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

import { type Account, type Address, type Hex, createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import {
  type Action,
  type DcxClient,
  type Deployment,
  type OracleSetChange,
  VOTE_SUPPORT,
  castVote,
  composeDescription,
  contractAddress,
  createDcxClient,
  executeProposal,
  oracleSet,
  oracleSetActions,
  parseDeployment,
  proposalState as stateOf,
  propose as proposeActions,
  queueProposal,
} from "@d-cloudx/sdk";
import { dAOGovernanceAbi } from "@d-cloudx/sdk/abis";

const REPOSITORY = fileURLToPath(new URL("../", import.meta.url));
const HARDHAT_CHAIN_ID = 31337;

export type SignerChangeOptions = OracleSetChange;

export interface Dao {
  deployment: Deployment;
  rpcUrl: string;
  /** The account that proposes, votes, queues and executes. */
  account: Address;
  log: (message: string) => void;
}

/** The sdk's client for the DAO account: DAO_PRIVATE_KEY, or `from` (an account the node holds unlocked). */
function connect(dao: Dao, from?: Address): DcxClient {
  const key = process.env.DAO_PRIVATE_KEY as Hex | undefined;
  const account: Account = key && !from ? privateKeyToAccount(key) : { address: from ?? dao.account, type: "json-rpc" };
  return createDcxClient({ deployment: dao.deployment, rpcUrl: dao.rpcUrl, account });
}

/** The calls of a change to both signer sets, checked by the governance template. */
export function signerChangeActions(dao: Dao, options: SignerChangeOptions): Promise<Action[]> {
  return oracleSetActions(connect(dao), options);
}

export async function propose(dao: Dao, options: SignerChangeOptions): Promise<bigint> {
  const client = connect(dao);
  const actions = await oracleSetActions(client, options);
  const parts = [
    options.add && `add ${options.add}`,
    options.remove && `remove ${options.remove}`,
    options.quorum && `quorum ${options.quorum}`,
  ].filter(Boolean);
  const description = composeDescription(
    `Oracle set: ${parts.join(", ")}`,
    "Changes the SLA signers and verifiers.\n\n" + `Proposed at block ${await client.publicClient.getBlockNumber()}.`,
  );
  const { proposalId } = await proposeActions(client, { actions, description });
  dao.log(`Proposal ${proposalId}: ${actions.length} call(s). Next: vote, then queue and execute once it succeeded.`);
  return proposalId;
}

export async function vote(dao: Dao, id: bigint, support: keyof typeof VOTE_SUPPORT = "for", from?: Address) {
  await castVote(connect(dao, from), { proposalId: id, support });
}

export async function queue(dao: Dao, id: bigint): Promise<void> {
  await queueProposal(connect(dao), { proposalId: id });
}

export async function execute(dao: Dao, id: bigint): Promise<void> {
  await executeProposal(connect(dao), { proposalId: id });
}

export function proposalState(dao: Dao, id: bigint): Promise<string> {
  return stateOf(connect(dao), id);
}

/** Local chains only: the whole flow, voting with the demo accounts and moving the chain's clock. */
export async function pass(dao: Dao, options: SignerChangeOptions, voters: Address[]): Promise<bigint> {
  const { publicClient: client } = connect(dao);
  const governor = contractAddress(dao.deployment, "DAOGovernance");
  if ((await client.getChainId()) !== HARDHAT_CHAIN_ID) throw new Error("pass is for a local Hardhat chain only");
  const rpc = (method: string, params: unknown[] = []) => client.request({ method, params } as never);
  const advance = async (seconds: number) => {
    await rpc("evm_increaseTime", [seconds]);
    await rpc("evm_mine");
  };
  const read = (functionName: "votingDelay" | "votingPeriod" | "proposalEta", args: readonly unknown[] = []) =>
    client.readContract({ address: governor, abi: dAOGovernanceAbi, functionName, args } as never) as Promise<bigint>;
  const id = await propose(dao, options);
  await advance(Number(await read("votingDelay")) + 1);
  for (const voter of voters) await vote(dao, id, "for", voter);
  await advance(Number(await read("votingPeriod")) + 1);
  await queue(dao, id);
  const eta = await read("proposalEta", [id]);
  const { timestamp } = await client.getBlock();
  await advance(Math.max(Number(eta - timestamp), 0) + 1);
  await execute(dao, id);
  dao.log(`Proposal ${id} executed`);
  return id;
}

export async function status(dao: Dao): Promise<string> {
  const sets = await oracleSet(connect(dao));
  return sets
    .map((set) => `${set.contractName}: quorum ${set.quorum} of ${set.signers.length}: ${set.signers.join(", ")}`)
    .join("\n");
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
      if (support && !(support in VOTE_SUPPORT)) throw new Error("vote: for, against or abstain");
      await vote(dao, proposalId(), (support ?? "for") as keyof typeof VOTE_SUPPORT);
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
