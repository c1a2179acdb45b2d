/** Direct access to the test chain, for what a test arranges outside the dApp (time, balances). */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

import { type Address, createPublicClient, createWalletClient, getAddress, http } from "viem";
import { hardhat } from "viem/chains";

import { rpc } from "@d-cloudx/devstack/chain";

/** Hardhat's unlocked accounts used by the browser tests. */
export const ACCOUNTS = {
  provider: getAddress("0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"), // #5
  consumer: getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906"), // #3, holds DCX
  voter: getAddress("0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"), // #4, holds DCX, self-delegated
  author: getAddress("0x976ea74026e726554db657fa54763abd0c3a0aa9"), // #6, publishes hostile metadata
};

export function clients(rpcUrl: string) {
  const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  return {
    public: createPublicClient({ chain, transport: http(rpcUrl) }),
    wallet: (account: Address) => createWalletClient({ chain, account, transport: http(rpcUrl) }),
  };
}

/** Moves the chain's clock forward and mines a block at the new time. */
export async function advanceTime(rpcUrl: string, seconds: number): Promise<void> {
  await rpc(rpcUrl, "evm_increaseTime", [seconds]);
  await rpc(rpcUrl, "evm_mine");
}

/** The folder of the `local` adapter's workload serving `bookingId` (under the oracle node's data folder), if any. */
export function workloadFolder(oracleDataDir: string, bookingId: bigint): string | undefined {
  const suffix = join(`booking-${bookingId}`, "state.json");
  const state = readdirSync(oracleDataDir, { recursive: true, encoding: "utf8" }).find((path) => path.endsWith(suffix));
  return state ? dirname(join(oracleDataDir, state)) : undefined;
}

/** Kills the `local` adapter's workload host serving `bookingId`. */
export function killWorkload(oracleDataDir: string, bookingId: bigint): void {
  const folder = workloadFolder(oracleDataDir, bookingId);
  if (!folder) throw new Error(`No workload for booking ${bookingId} under ${oracleDataDir}`);
  const { pid } = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as { pid: number };
  process.kill(pid, "SIGKILL");
}
