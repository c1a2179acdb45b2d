import type { Deployment } from "@d-cloudx/sdk";
import { dAOGovernanceAbi } from "@d-cloudx/sdk/abis";
import {
  type Address,
  type Hex,
  ContractFunctionRevertedError,
  decodeFunctionData,
  encodeErrorResult,
  getAddress,
  keccak256,
  numberToHex,
  toBytes,
} from "viem";
import { describe, expect, it } from "vitest";

import { decodeError, decodeRevertData } from "../src/lib/errors.ts";
import {
  type Action,
  type EscrowSettings,
  buildCreditPolicy,
  buildFeeChange,
  buildPaymentTokenChange,
  buildSignerChange,
  buildUpgrade,
  composeDescription,
  decodeAction,
  descriptionHash,
  knownContracts,
  parseAddressList,
  parsePercentBps,
  splitDescription,
  validateTitle,
} from "../src/pages/governance/actions.ts";
import { computeState, expectedStates, percentOf, stateName, tally } from "../src/pages/governance/proposalState.ts";

const address = (n: number) => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const proxy = (n: number) => ({ proxy: address(n), implementation: address(n + 100), startBlock: 1 });

const deployment = {
  contracts: {
    PriceOracle: proxy(1),
    ReputationSystem: proxy(2),
    EscrowManager: proxy(3),
    ResourceMarketplace: proxy(4),
    SLAEnforcement: proxy(5),
    DCXToken: proxy(6),
    RewardDistributor: proxy(7),
    ResourceVerifier: proxy(8),
    DAOGovernance: proxy(9),
    BookingRenewals: proxy(11),
  },
  governance: { timelock: address(10) },
} as unknown as Deployment;

const contracts = knownContracts(deployment);

const settings: EscrowSettings = {
  treasury: address(42),
  protocolFeeBps: 250,
  slaPeriodSeconds: 3600,
  reportWindowSeconds: 7200,
  bondSlashBps: 1000,
  unbondingDelaySeconds: 86_400,
};

function only(built: { actions?: Action[]; error?: string }): ReturnType<typeof decodeAction> {
  expect(built.error).toBeUndefined();
  expect(built.actions).toHaveLength(1);
  return decodeAction(contracts, built.actions![0]!);
}

describe("percentages", () => {
  it("parses up to two decimals into basis points", () => {
    expect(parsePercentBps("2.5")).toBe(250);
    expect(parsePercentBps(" 20 % ")).toBe(2000);
    expect(parsePercentBps("0.01")).toBe(1);
    expect(parsePercentBps("0")).toBe(0);
    expect(parsePercentBps(".5")).toBe(50);
    expect(parsePercentBps("5.")).toBe(500);
  });
  it("rejects anything else", () => {
    for (const text of ["", ".", "%", "abc", "1.234", "-1", "1e2", "0x10", "2,5"])
      expect(parsePercentBps(text)).toBeUndefined();
  });
});

describe("protocol fee template", () => {
  it("changes only the fee and decodes back to the same settings", () => {
    const decoded = only(buildFeeChange(contracts, settings, 2000, "3.75"));
    expect(decoded.contractName).toBe("EscrowManager");
    expect(decoded.target).toBe(deployment.contracts.EscrowManager.proxy);
    expect(decoded.functionName).toBe("updateSettings");
    const { args } = decodeFunctionData({ abi: contracts[2]!.abi, data: decoded.calldata });
    expect(args?.[0]).toEqual({ ...settings, protocolFeeBps: 375 });
    expect(decoded.args).toContainEqual({ name: "newSettings.protocolFeeBps", type: "uint16", value: "375" });
    expect(decoded.args).toContainEqual({ name: "newSettings.treasury", type: "address", value: settings.treasury });
    expect(decoded.args).toHaveLength(6);
  });
  it("rejects a fee above the contract's maximum, the current fee and malformed input", () => {
    expect(buildFeeChange(contracts, settings, 2000, "20.01").error).toMatch(/at most 20 %/);
    expect(buildFeeChange(contracts, settings, 2000, "2.5").error).toMatch(/current fee/);
    expect(buildFeeChange(contracts, settings, 2000, "two").error).toMatch(/percentage/);
  });
});

describe("SLA credit tiers template", () => {
  const tiers = [
    { uptimeBelowPercent: "99", creditPercent: "10" },
    { uptimeBelowPercent: "95", creditPercent: "25" },
  ];
  it("encodes setCreditPolicy with basis points", () => {
    const decoded = only(buildCreditPolicy(contracts, "5", tiers));
    expect(decoded.contractName).toBe("SLAEnforcement");
    expect(decoded.functionName).toBe("setCreditPolicy");
    expect(decoded.args?.map((arg) => `${arg.name}=${arg.value}`)).toEqual([
      "baseCreditBps=500",
      "tiers[0].uptimeBelowBps=9900",
      "tiers[0].creditBps=1000",
      "tiers[1].uptimeBelowBps=9500",
      "tiers[1].creditBps=2500",
    ]);
  });
  it("enforces the contract's ordering and bounds", () => {
    expect(buildCreditPolicy(contracts, "101", []).error).toMatch(/base credit/);
    expect(buildCreditPolicy(contracts, "30", tiers).error).toMatch(/Tier 1: .*higher/);
    expect(buildCreditPolicy(contracts, "5", [tiers[1]!, tiers[0]!]).error).toMatch(/Tier 2: .*lower/);
    expect(buildCreditPolicy(contracts, "5", [{ uptimeBelowPercent: "99", creditPercent: "120" }]).error).toMatch(
      /Tier 1: the credit/,
    );
    const nine = Array.from({ length: 9 }, (_, i) => ({ uptimeBelowPercent: `${90 - i}`, creditPercent: `${10 + i}` }));
    expect(buildCreditPolicy(contracts, "0", nine).error).toMatch(/At most 8/);
  });
  it("accepts an empty tier list (base credit only)", () => {
    expect(buildCreditPolicy(contracts, "10", []).actions).toHaveLength(1);
  });
});

describe("oracle set template", () => {
  const current = { signerCount: 2, quorum: 1 };
  it("adds, sets the quorum, then removes", () => {
    const built = buildSignerChange(contracts, current, {
      contractName: "SLAEnforcement",
      add: `${address(500)}, ${address(501).toLowerCase()}`,
      remove: address(502),
      quorum: "2",
    });
    expect(built.error).toBeUndefined();
    const decoded = built.actions!.map((action) => decodeAction(contracts, action));
    expect(decoded.map((d) => `${d.functionName}(${d.args?.map((a) => a.value).join()})`)).toEqual([
      `addSigner(${address(500)})`,
      `addSigner(${address(501)})`,
      "setQuorum(2)",
      `removeSigner(${address(502)})`,
    ]);
  });
  it("targets the resource verifier's set when chosen", () => {
    const decoded = only(
      buildSignerChange(contracts, current, {
        contractName: "ResourceVerifier",
        add: address(9),
        remove: "",
        quorum: "",
      }),
    );
    expect(decoded.contractName).toBe("ResourceVerifier");
  });
  it("rejects bad addresses, duplicates, impossible quorums and no-ops", () => {
    const change = { contractName: "SLAEnforcement" as const, add: "", remove: "", quorum: "" };
    expect(buildSignerChange(contracts, current, { ...change, add: "0x1234" }).error).toMatch(/Not an address: 0x1234/);
    expect(buildSignerChange(contracts, current, { ...change, add: address(5), remove: address(5) }).error).toMatch(
      /once/,
    );
    expect(buildSignerChange(contracts, current, { ...change, quorum: "3" }).error).toMatch(/needs at least 3/);
    expect(buildSignerChange(contracts, current, { ...change, quorum: "0" }).error).toMatch(/≥ 1/);
    expect(buildSignerChange(contracts, current, { ...change, remove: `${address(1)} ${address(2)}` }).error).toMatch(
      /At least one/,
    );
    expect(buildSignerChange(contracts, current, change).error).toMatch(/Nothing changes/);
  });
  it("splits address lists on commas, spaces and new lines", () => {
    expect(parseAddressList(`${address(1)},\n${address(2)}  nope`)).toEqual({
      addresses: [address(1), address(2)],
      invalid: ["nope"],
    });
  });
});

describe("payment token template", () => {
  it("encodes setPaymentToken and disablePaymentToken", () => {
    const set = only(
      buildPaymentTokenChange(contracts, {
        mode: "set",
        token: address(77),
        feed: address(78),
        heartbeatSeconds: "3600",
      }),
    );
    expect(set.functionName).toBe("setPaymentToken");
    expect(set.args?.map((arg) => arg.value)).toEqual([address(77), address(78), "3600"]);
    const disable = only(buildPaymentTokenChange(contracts, { mode: "disable", token: address(77) }));
    expect(disable.functionName).toBe("disablePaymentToken");
    expect(disable.contractName).toBe("PriceOracle");
  });
  it("validates addresses and the heartbeat", () => {
    const change = { mode: "set" as const, token: address(77), feed: address(78), heartbeatSeconds: "60" };
    expect(buildPaymentTokenChange(contracts, { ...change, token: "x" }).error).toMatch(/token/);
    expect(buildPaymentTokenChange(contracts, { ...change, feed: address(0) }).error).toMatch(/feed/);
    expect(buildPaymentTokenChange(contracts, { ...change, heartbeatSeconds: "0" }).error).toMatch(/heartbeat/);
    expect(buildPaymentTokenChange(contracts, { ...change, heartbeatSeconds: "1.5" }).error).toMatch(/heartbeat/);
    expect(buildPaymentTokenChange(contracts, { ...change, heartbeatSeconds: "4294967296" }).error).toMatch(
      /heartbeat/,
    );
  });
});

describe("upgrade template", () => {
  it("encodes upgradeToAndCall on the chosen proxy", () => {
    const decoded = only(
      buildUpgrade(contracts, { contractName: "DAOGovernance", implementation: address(300), data: "" }),
    );
    expect(decoded.target).toBe(deployment.contracts.DAOGovernance.proxy);
    expect(decoded.functionName).toBe("upgradeToAndCall");
    expect(decoded.args?.map((arg) => arg.value)).toEqual([address(300), "0x"]);
  });
  it("rejects bad implementations and call data", () => {
    const change = { contractName: "EscrowManager" as const, implementation: address(300), data: "" };
    expect(buildUpgrade(contracts, { ...change, implementation: "0xabc" }).error).toMatch(/implementation/);
    expect(buildUpgrade(contracts, change, address(300)).error).toMatch(/current implementation/);
    expect(buildUpgrade(contracts, { ...change, data: "0x123" }).error).toMatch(/hex/);
    expect(buildUpgrade(contracts, { ...change, data: "hello" }).error).toMatch(/hex/);
  });
});

describe("decoding", () => {
  it("leaves unknown targets and undecodable data raw", () => {
    const raw: Action = { target: address(999) as Address, value: 1n, calldata: "0xdeadbeef" as Hex };
    expect(decodeAction(contracts, raw)).toEqual(raw);
    const junk = decodeAction(contracts, { ...raw, target: address(3) });
    expect(junk.contractName).toBe("EscrowManager");
    expect(junk.functionName).toBeUndefined();
  });
});

describe("descriptions", () => {
  it("composes a title and body and splits them back", () => {
    const description = composeDescription("Lower the fee", "Because.\nReally.");
    expect(splitDescription(description)).toEqual({ title: "Lower the fee", body: "Because.\nReally." });
    expect(descriptionHash(description)).toBe(keccak256(toBytes(description)));
    expect(splitDescription("")).toEqual({ title: "Untitled proposal", body: "" });
  });
  it("validates the title", () => {
    expect(validateTitle("  ")).toMatch(/title/);
    expect(validateTitle("x".repeat(121))).toMatch(/under 120/);
    expect(validateTitle("Fine")).toBeUndefined();
  });
});

describe("proposal state", () => {
  const record = {
    status: "CREATED" as const,
    voteStart: "100",
    voteEnd: "400",
    forVotes: "60",
    againstVotes: "40",
    abstainVotes: "10",
  };
  it("follows the clock through pending and active", () => {
    expect(computeState(record, 100, 50n)).toBe("Pending");
    expect(computeState(record, 101, 50n)).toBe("Active");
    expect(computeState(record, 400, 50n)).toBe("Active");
  });
  it("judges a closed vote by quorum (for + abstain) and majority", () => {
    expect(computeState(record, 401, 70n)).toBe("Succeeded");
    expect(computeState(record, 401, 71n)).toBe("Defeated");
    expect(computeState({ ...record, againstVotes: "60" }, 401, 1n)).toBe("Defeated");
    expect(computeState(record, 401)).toBeUndefined();
  });
  it("trusts the recorded outcome once queued, executed or canceled", () => {
    expect(computeState({ ...record, status: "QUEUED" }, 50)).toBe("Queued");
    expect(computeState({ ...record, status: "EXECUTED" }, 50)).toBe("Executed");
    expect(computeState({ ...record, status: "CANCELED" }, 50)).toBe("Canceled");
  });
  it("names the chain's states and the expected-state bitmap", () => {
    expect(stateName(4)).toBe("Succeeded");
    expect(stateName(9)).toBeUndefined();
    expect(expectedStates((1n << 4n) | (1n << 5n))).toEqual(["Succeeded", "Queued"]);
  });
  it("tallies and computes bar widths", () => {
    expect(tally(record)).toEqual({ for: 60n, against: 40n, abstain: 10n, total: 110n, quorumVotes: 70n });
    expect(percentOf(1n, 3n)).toBe(33.33);
    expect(percentOf(5n, 0n)).toBe(0);
    expect(percentOf(5n, 2n)).toBe(100);
  });
});

describe("governor errors", () => {
  const phrase = (errorName: string, args: readonly unknown[]) => {
    const data = encodeErrorResult({ abi: dAOGovernanceAbi, errorName: errorName as never, args: args as never });
    expect(decodeRevertData(data)?.name).toBe(errorName);
    return decodeError(new ContractFunctionRevertedError({ abi: dAOGovernanceAbi, data, functionName: "queue" }))
      .message;
  };
  it("names the proposal's state and the states the call needs", () => {
    expect(phrase("GovernorUnexpectedProposalState", [1n, 1, numberToHex((1n << 4n) | (1n << 5n), { size: 32 })])).toBe(
      "The proposal is active; this is only possible once it is succeeded or queued.",
    );
  });
  it("recognises a duplicate proposal", () => {
    expect(phrase("GovernorUnexpectedProposalState", [1n, 0, numberToHex(0n, { size: 32 })])).toMatch(/already exists/);
  });
  it("explains the proposal threshold in DCX", () => {
    expect(phrase("GovernorInsufficientProposerVotes", [address(1), 5n * 10n ** 18n, 1000n * 10n ** 18n])).toMatch(
      /needs 1000 DCX .*you have 5/,
    );
  });
});
