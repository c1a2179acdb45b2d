import { upgrades } from "@openzeppelin/hardhat-upgrades";
import { expect } from "chai";
import hre from "hardhat";

import { connection, ethers } from "./fixture.ts";

/** The upgrades plugin bound to the tests' shared chain. */
export const upgradesApi = await upgrades(hre, connection);

/** Deploys `name` behind a UUPS proxy, as the deployment scripts do, and returns the proxy. */
export async function deployUupsProxy<T>(name: string, args: unknown[]): Promise<T> {
  const proxy = await upgradesApi.deployProxy(await ethers.getContractFactory(name), args, { kind: "uups" });
  await proxy.waitForDeployment();
  return proxy as unknown as T;
}

/** ERC-7201 slot of a namespace: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff. */
export function erc7201Slot(namespaceId: string): bigint {
  const inner = BigInt(ethers.keccak256(ethers.toUtf8Bytes(namespaceId))) - 1n;
  const outer = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [inner])));
  return outer & ~0xffn;
}

/** Slot of `mapping[key]` for a mapping at `slot` (Solidity's keccak256(abi.encode(key, slot))). */
export function mappingSlot(keyType: string, key: unknown, slot: bigint): bigint {
  return BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode([keyType, "uint256"], [key, slot])));
}

/** Reads a storage word of `contract` as an unsigned integer. */
export async function storageWord(contract: { getAddress(): Promise<string> }, slot: bigint): Promise<bigint> {
  return BigInt(await ethers.provider.getStorage(await contract.getAddress(), slot));
}

/** Extracts the `bits`-wide field starting `offsetBytes` bytes from the low end of a packed word. */
export function packedField(word: bigint, offsetBytes: number, bits: number): bigint {
  return (word >> BigInt(offsetBytes * 8)) & ((1n << BigInt(bits)) - 1n);
}

/** An address stored in the low 20 bytes of a packed word, checksummed. */
export function packedAddress(word: bigint, offsetBytes = 0): string {
  return ethers.getAddress(ethers.toBeHex(packedField(word, offsetBytes, 160), 20));
}

/** Results as plain nested arrays, so that snapshots compare by value. */
export function plain(value: unknown): unknown {
  return Array.isArray(value) ? Array.from(value, plain) : value;
}

/** Expects `promise` to reject with a message matching `pattern` (the upgrades plugin throws plain errors). */
export async function expectRejection(promise: Promise<unknown>, pattern: RegExp) {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  expect((error as Error).message).to.match(pattern);
}
