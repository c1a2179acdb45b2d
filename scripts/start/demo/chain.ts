/**
 * The demo's access to the local chain: the node's unlocked accounts by index, contract calls that
 * wait for their receipt, the chain's clock and the mock price feeds.
 */
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  http,
} from "viem";

import { rpc } from "@d-cloudx/devstack/chain";
import type { Deployment } from "@d-cloudx/sdk";
import { mockV3AggregatorAbi } from "@d-cloudx/sdk/abis";

export type DemoChain = Awaited<ReturnType<typeof demoChain>>;

export async function demoChain(rpcUrl: string, deployment: Deployment) {
  if (deployment.chainId !== 31337) throw new Error(`Demo data is for local chains (31337), not ${deployment.chainId}`);
  const transport = http(rpcUrl);
  const client: PublicClient = createPublicClient({ transport, pollingInterval: 50 });
  const accounts = await rpc<Address[]>(rpcUrl, "eth_accounts");
  if (accounts.length < 10)
    throw new Error(`The chain at ${rpcUrl} unlocks ${accounts.length} accounts; 10 are needed`);
  const account = (index: number) => accounts[index] as Address;
  const walletOf = (address: Address) => createWalletClient({ account: address, transport });
  const wallet = (index: number) => walletOf(account(index));

  /** Sends a transaction from account #`from` and waits for its receipt; throws if it reverted. */
  async function send<const A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">>(
    from: number,
    address: Address,
    abi: A,
    functionName: F,
    args: ContractFunctionArgs<A, "nonpayable" | "payable", F>,
    value?: bigint,
  ) {
    const hash = await wallet(from).writeContract({ chain: null, address, abi, functionName, args, value } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} from account #${from} reverted (${hash})`);
    return receipt;
  }

  /** Moves the chain's clock forward and mines a block. */
  async function advance(seconds: number) {
    await rpc(rpcUrl, "evm_increaseTime", [seconds]);
    await rpc(rpcUrl, "evm_mine");
  }

  /** Republishes the mock feeds' prices, so that they stay within their heartbeat after a time jump. */
  async function refreshFeeds() {
    for (const { symbol, priceFeed } of deployment.paymentTokens) {
      if (symbol === "DCX") continue; // A DAO-governed feed with a year-long heartbeat.
      const [, answer] = await client.readContract({
        address: priceFeed as Address,
        abi: mockV3AggregatorAbi,
        functionName: "latestRoundData",
      });
      await send(0, priceFeed as Address, mockV3AggregatorAbi, "updateAnswer", [answer]);
    }
  }

  const token = (symbol: string) => {
    const found = deployment.paymentTokens.find((t) => t.symbol === symbol);
    if (!found) throw new Error(`The deployment has no ${symbol} payment token`);
    return found;
  };
  const contract = (name: keyof Deployment["contracts"]) => deployment.contracts[name].proxy as Address;

  return {
    rpcUrl,
    deployment,
    client,
    accounts,
    account,
    wallet,
    walletOf,
    send,
    advance,
    refreshFeeds,
    token,
    contract,
  };
}
