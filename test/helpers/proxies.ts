import { readFileSync } from "node:fs";

import { upgrades } from "@openzeppelin/hardhat-upgrades";
import { expect } from "chai";
import type { BaseContract, Signer } from "ethers";
import hre from "hardhat";

import type { ContractName } from "@d-cloudx/sdk";
import { connection, ethers, networkHelpers } from "./fixture.ts";

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

/** A namespace and the constant that holds its slot in `source` (relative to the repository root). */
export interface Namespace {
  id: string;
  source: string;
  constant: string;
}

/** Checks that `constant` in `source` is the ERC-7201 slot of `id`. */
export function checkNamespaceConstant({ id, source, constant }: Namespace) {
  const text = readFileSync(new URL(`../../${source}`, import.meta.url), "utf8");
  const match = new RegExp(`bytes32 private constant ${constant} =\\s*(0x[0-9a-fA-F]{64});`).exec(text);
  expect(match?.[1]?.toLowerCase(), `${constant} in ${source}`).to.equal(ethers.toBeHex(erc7201Slot(id), 32));
}

export interface BadLayout {
  contract: string;
  /** What the storage-breaking V2 changed, as the upgrades plugin reports it. */
  error: RegExp;
}

/** One upgradeable contract, as the upgrade tests see it (`F`: the fixture with its history). */
export interface UpgradeCase<F> {
  name: ContractName;
  namespaces: Namespace[];
  proxy(f: F): BaseContract;
  initializeArgs(f: F): Promise<unknown[]>;
  /** State read back through the contract's getters. */
  snapshot(f: F): Promise<unknown>;
  /** Asserts where known state lives in the namespaces; returns the words it read. */
  checkLayout(f: F): Promise<bigint[]>;
  badLayouts: BadLayout[];
}

/**
 * What every UUPS contract behind its proxy must do, with `f.admin` holding UPGRADER_ROLE: keep its
 * state at its ERC-7201 slots and through an upgrade to its V2 (`<name>V2`), reject a V2 that breaks
 * the layout and an implementation that is not UUPS, and refuse to be initialized again.
 */
export function shouldUpgradeSafely<F extends { admin: Signer }>(fixture: () => Promise<F>, c: UpgradeCase<F>) {
  const where = c.namespaces.map((n) => `"${n.id}"`).join(", ");

  it(`keeps its state at the ERC-7201 slots of ${where}`, async function () {
    const f = await networkHelpers.loadFixture(fixture);
    for (const namespace of c.namespaces) checkNamespaceConstant(namespace);
    await c.checkLayout(f);
  });

  it("upgrades to a V2 by the UPGRADER_ROLE holder, keeping its state", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const proxy = c.proxy(f);
    const proxyAddress = await proxy.getAddress();
    const v1Implementation = await upgradesApi.erc1967.getImplementationAddress(proxyAddress);
    const v2Factory = await ethers.getContractFactory(`${c.name}V2`, f.admin);
    const stateBefore = await c.snapshot(f);
    const wordsBefore = await c.checkLayout(f);
    await expect(v2Factory.attach(proxyAddress).getFunction("version")()).to.be.revertedWithoutReason(ethers);

    const upgraded = await upgradesApi.upgradeProxy(proxy, v2Factory, { kind: "uups" });

    expect(await upgraded.getAddress()).to.equal(proxyAddress);
    expect(await upgradesApi.erc1967.getImplementationAddress(proxyAddress)).to.not.equal(v1Implementation);
    expect(await upgraded.getFunction("version")()).to.equal(2n);
    expect(await c.snapshot(f)).to.deep.equal(stateBefore);
    expect(await c.checkLayout(f)).to.deep.equal(wordsBefore);
  });

  if (c.badLayouts.length > 0) {
    it("rejects a V2 that breaks the storage layout", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const proxy = c.proxy(f);
      const proxyAddress = await proxy.getAddress();
      const implementation = await upgradesApi.erc1967.getImplementationAddress(proxyAddress);
      for (const bad of c.badLayouts) {
        const broken = await ethers.getContractFactory(bad.contract, f.admin);
        await expectRejection(upgradesApi.validateUpgrade(proxy, broken, { kind: "uups" }), bad.error);
        await expectRejection(
          upgradesApi.upgradeProxy(proxy, broken, { kind: "uups" }),
          /New storage layout is incompatible/,
        );
      }
      expect(await upgradesApi.erc1967.getImplementationAddress(proxyAddress)).to.equal(implementation);
      // The compatible V2 passes the same checks, so the rejection is about the layout.
      await upgradesApi.validateUpgrade(proxy, await ethers.getContractFactory(`${c.name}V2`), { kind: "uups" });
    });
  }

  it("refuses an implementation that is not UUPS, which would brick the proxy", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const proxy = await ethers.getContractAt("ManagedUpgradeable", await c.proxy(f).getAddress(), f.admin);
    const notUups = await ethers.deployContract("MockERC20", ["Not UUPS", "NOPE", 18]);
    await expect(proxy.upgradeToAndCall(notUups, "0x"))
      .to.be.revertedWithCustomError(proxy, "ERC1967InvalidImplementation")
      .withArgs(await notUups.getAddress());
  });

  it("cannot be initialized through its implementation, nor again through its proxy", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const proxy = c.proxy(f);
    const args = await c.initializeArgs(f);
    const implementationAddress = await upgradesApi.erc1967.getImplementationAddress(await proxy.getAddress());
    const implementation = (await ethers.getContractFactory(c.name)).attach(implementationAddress);

    await expect(implementation.getFunction("initialize")(...args)).to.be.revertedWithCustomError(
      proxy,
      "InvalidInitialization",
    );
    await expect(proxy.getFunction("initialize")(...args)).to.be.revertedWithCustomError(
      proxy,
      "InvalidInitialization",
    );
  });
}
