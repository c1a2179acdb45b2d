/**
 * Paying the EscrowManager in an ERC-20, as booking and extending do: DCX (EIP-2612) with a signed
 * permit in the same transaction, any other token after an approval when the allowance is short.
 */
import { signPermit } from "@d-cloudx/sdk/signing";
import { getBlock, readContract, signTypedData, simulateContract } from "@wagmi/core";
import { type Address, erc20Abi } from "viem";
import { useBalance, useReadContract } from "wagmi";

import { config } from "../config.ts";
import { readDcxTokenEip712Domain, readDcxTokenNonces } from "../generated/contracts.ts";
import { PERMIT_LIFETIME_SECONDS } from "../pages/resource/booking.ts";
import { wagmiConfig } from "../wagmi.ts";
import { type PaymentToken, isNative, sameAddress } from "./tokens.ts";
import type { useTransaction } from "./tx.tsx";

const escrow = config.deployment?.contracts.EscrowManager.proxy as Address;
const permitToken = config.deployment?.contracts.DCXToken.proxy.toLowerCase();

/** Whether the token is paid with a permit (DCX) instead of an approval. */
export function isPermitToken(token: Pick<PaymentToken, "address">): boolean {
  return token.address.toLowerCase() === permitToken;
}

/** The consumer's permit for the escrow to take `value` of DCX, signed on the token's EIP-712 domain. */
export async function permitEscrow(owner: Address, token: Address, value: bigint) {
  const [[, name, version, chainId, verifyingContract], nonce, block] = await Promise.all([
    readDcxTokenEip712Domain(wagmiConfig, {}),
    readDcxTokenNonces(wagmiConfig, { args: [owner] }),
    getBlock(wagmiConfig),
  ]);
  if (!sameAddress(verifyingContract, token)) throw new Error("The token's EIP-712 domain is not its own");
  const wallet = {
    signTypedData: (typed: object) => signTypedData(wagmiConfig, { ...typed, account: owner } as never),
  };
  return signPermit(
    wallet,
    { name, version, chainId, verifyingContract },
    { owner, spender: escrow, value, nonce, deadline: block.timestamp + BigInt(PERMIT_LIFETIME_SECONDS) },
  );
}

/**
 * Makes the owner's allowance to the escrow (or to `spender`) cover `amount` of `token`: when it is
 * smaller, approves `amount` on top of it, so that what it held for auto-renewals stays available
 * to them. Resolves to false if the approval was cancelled or failed (`approveTx` reports it).
 */
export async function approveEscrow(
  approveTx: ReturnType<typeof useTransaction>,
  owner: Address,
  token: Address,
  amount: bigint,
  spender: Address = escrow,
): Promise<boolean> {
  const allowance = await readContract(wagmiConfig, {
    abi: erc20Abi,
    address: token,
    functionName: "allowance",
    args: [owner, spender],
  });
  if (allowance >= amount) return true;
  const approved = await approveTx.send(() =>
    simulateContract(wagmiConfig, {
      abi: erc20Abi,
      address: token,
      functionName: "approve",
      args: [spender, allowance + amount],
      account: owner,
    }),
  );
  return approved !== undefined;
}

/** The account's balance of a payment token (ETH or an ERC-20), undefined while loading. */
export function useTokenBalance(token: PaymentToken | undefined, account: Address | undefined) {
  const native = token !== undefined && isNative(token);
  const eth = useBalance({ address: account, query: { enabled: Boolean(account && native) } });
  const erc20 = useReadContract({
    abi: erc20Abi,
    address: token?.address,
    functionName: "balanceOf",
    args: account ? [account] : undefined,
    query: { enabled: Boolean(account && token && !native) },
  });
  return native ? eth.data?.value : erc20.data;
}
