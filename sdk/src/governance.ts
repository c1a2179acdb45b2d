/**
 * What a proposal does, as calls the timelock makes: built from the templates' form values
 * (validated the way the contracts validate them, so a proposal does not fail only at execution)
 * and decoded back into contract, function and arguments for display.
 */
import type { ContractName, Deployment } from "./deployments.ts";
import {
  bookingRenewalsAbi,
  dAOGovernanceAbi,
  dCXTokenAbi,
  escrowManagerAbi,
  priceOracleAbi,
  reputationSystemAbi,
  resourceMarketplaceAbi,
  resourceVerifierAbi,
  rewardDistributorAbi,
  sLAEnforcementAbi,
  timelockControllerAbi,
} from "./generated/abis.ts";
import {
  type Abi,
  type AbiFunction,
  type AbiParameter,
  type Address,
  type Hex,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  isAddress,
  isHex,
  keccak256,
  toBytes,
  zeroAddress,
} from "viem";

export interface Action {
  target: Address;
  value: bigint;
  calldata: Hex;
}

export interface KnownContract {
  name: string;
  address: Address;
  abi: Abi;
}

/** The ABI of each contract of a deployment. */
export const CONTRACT_ABIS = {
  PriceOracle: priceOracleAbi,
  ReputationSystem: reputationSystemAbi,
  EscrowManager: escrowManagerAbi,
  ResourceMarketplace: resourceMarketplaceAbi,
  SLAEnforcement: sLAEnforcementAbi,
  BookingRenewals: bookingRenewalsAbi,
  DCXToken: dCXTokenAbi,
  RewardDistributor: rewardDistributorAbi,
  ResourceVerifier: resourceVerifierAbi,
  DAOGovernance: dAOGovernanceAbi,
} as const satisfies Record<ContractName, Abi>;

/** Every contract of the deployment a proposal can call (the upgradeable proxies and the timelock). */
export function knownContracts(deployment: Pick<Deployment, "contracts" | "governance">): KnownContract[] {
  return [
    ...(Object.keys(CONTRACT_ABIS) as ContractName[]).map((name) => ({
      name,
      address: getAddress(deployment.contracts[name].proxy),
      abi: CONTRACT_ABIS[name] as Abi,
    })),
    { name: "Timelock", address: getAddress(deployment.governance.timelock), abi: timelockControllerAbi },
  ];
}

export function contractNamed(contracts: KnownContract[], name: string): KnownContract {
  const found = contracts.find((contract) => contract.name === name);
  if (!found) throw new Error(`${name} is not part of this deployment.`);
  return found;
}

function call(contract: KnownContract, functionName: string, args: readonly unknown[]): Action {
  return {
    target: contract.address,
    value: 0n,
    calldata: encodeFunctionData({ abi: contract.abi, functionName, args }),
  };
}

export interface DecodedArgument {
  name: string;
  type: string;
  value: string;
}

export interface DecodedAction extends Action {
  /** The deployment's name for the target, when it is one of its contracts. */
  contractName?: string;
  functionName?: string;
  args?: DecodedArgument[];
}

/** Text for a decoded value: numbers in full, arrays as JSON with numbers as strings. */
export function formatArgument(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, (_, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
}

/** One row per leaf value: struct fields and array items get their own rows (`settings.feeBps`, `tiers[0].creditBps`). */
function flattenArgument(name: string, param: AbiParameter, value: unknown): DecodedArgument[] {
  const components = "components" in param ? param.components : undefined;
  if (components && param.type.endsWith("[]") && Array.isArray(value)) {
    const item = { ...param, type: param.type.slice(0, param.type.lastIndexOf("[")) };
    return value.flatMap((entry, index) => flattenArgument(`${name}[${index}]`, item, entry));
  }
  if (components && param.type === "tuple" && value && typeof value === "object") {
    return components.flatMap((component, index) => {
      const field = component.name || String(index);
      const fields = value as Record<string, unknown>;
      return flattenArgument(`${name}.${field}`, component, component.name ? fields[component.name] : fields[index]);
    });
  }
  return [{ name, type: param.type, value: formatArgument(value) }];
}

/** Names the target and decodes the call against its ABI; unknown targets or data stay raw. */
export function decodeAction(contracts: KnownContract[], action: Action): DecodedAction {
  const contract = contracts.find((known) => known.address.toLowerCase() === action.target.toLowerCase());
  if (!contract) return action;
  try {
    const { functionName, args = [] } = decodeFunctionData({ abi: contract.abi, data: action.calldata });
    const item = contract.abi.find(
      (entry): entry is AbiFunction =>
        entry.type === "function" && entry.name === functionName && entry.inputs.length === args.length,
    );
    return {
      ...action,
      contractName: contract.name,
      functionName,
      args: args.flatMap((value, index) =>
        flattenArgument(item?.inputs[index]?.name || `#${index}`, item?.inputs[index] ?? { type: "" }, value),
      ),
    };
  } catch {
    return { ...action, contractName: contract.name };
  }
}

export function descriptionHash(description: string): Hex {
  return keccak256(toBytes(description));
}

/** The proposal's description: a title line, then the body. Both are shown as plain text. */
export function composeDescription(title: string, body: string): string {
  const text = body.trim();
  return text ? `# ${title.trim()}\n\n${text}` : `# ${title.trim()}`;
}

/** The title (first line, without a Markdown heading mark) and the rest of a description. */
export function splitDescription(description: string): { title: string; body: string } {
  const [first = "", ...rest] = description.split("\n");
  return { title: first.replace(/^#+\s*/, "").trim() || "Untitled proposal", body: rest.join("\n").trim() };
}

export const MAX_TITLE_LENGTH = 120;

export function validateTitle(title: string): string | undefined {
  if (!title.trim()) return "Give the proposal a title.";
  if (title.trim().length > MAX_TITLE_LENGTH) return `Keep the title under ${MAX_TITLE_LENGTH} characters.`;
  if (title.includes("\n")) return "The title is one line.";
  return undefined;
}

/** A built proposal, or the reason the form cannot become one. */
export type Built = { actions: Action[]; error?: undefined } | { actions?: undefined; error: string };

/** "2.5" → 250 basis points; undefined unless a plain number with at most two decimals. */
export function parsePercentBps(text: string): number | undefined {
  const match = /^\s*(\d{1,5})(?:\.(\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

// ------------------------------------------------------------------------------------------------
// Protocol fee (EscrowManager.updateSettings)
// ------------------------------------------------------------------------------------------------

export interface EscrowSettings {
  treasury: Address;
  protocolFeeBps: number;
  slaPeriodSeconds: number;
  reportWindowSeconds: number;
  bondSlashBps: number;
  unbondingDelaySeconds: number;
}

/** Changes only the fee: every other setting is passed back as it is on chain. */
export function buildFeeChange(
  contracts: KnownContract[],
  current: EscrowSettings,
  maxFeeBps: number,
  feePercent: string,
): Built {
  const bps = parsePercentBps(feePercent);
  if (bps === undefined) return { error: "Enter the fee as a percentage, e.g. 2.5 (at most two decimals)." };
  if (bps > maxFeeBps) return { error: `The fee can be at most ${maxFeeBps / 100} %.` };
  if (bps === current.protocolFeeBps) return { error: "That is the current fee." };
  return {
    actions: [call(contractNamed(contracts, "EscrowManager"), "updateSettings", [{ ...current, protocolFeeBps: bps }])],
  };
}

// ------------------------------------------------------------------------------------------------
// SLA credit tiers (SLAEnforcement.setCreditPolicy)
// ------------------------------------------------------------------------------------------------

export const MAX_CREDIT_TIERS = 8;

export interface CreditTierInput {
  uptimeBelowPercent: string;
  creditPercent: string;
}

/**
 * The contract's rule: base and tier credits at most 100 %; tiers ordered by strictly falling
 * uptime threshold and strictly rising credit, each above the base credit.
 */
export function buildCreditPolicy(contracts: KnownContract[], basePercent: string, tiers: CreditTierInput[]): Built {
  const base = parsePercentBps(basePercent);
  if (base === undefined || base > 10_000) return { error: "The base credit is a percentage from 0 to 100." };
  if (tiers.length > MAX_CREDIT_TIERS) return { error: `At most ${MAX_CREDIT_TIERS} tiers.` };
  const parsed: { uptimeBelowBps: number; creditBps: number }[] = [];
  let previousThreshold = 10_001;
  let previousCredit = base;
  for (const [index, tier] of tiers.entries()) {
    const uptimeBelowBps = parsePercentBps(tier.uptimeBelowPercent);
    const creditBps = parsePercentBps(tier.creditPercent);
    const label = `Tier ${index + 1}`;
    if (uptimeBelowBps === undefined || uptimeBelowBps > 10_000) {
      return { error: `${label}: the uptime threshold is a percentage from 0 to 100.` };
    }
    if (creditBps === undefined || creditBps > 10_000) {
      return { error: `${label}: the credit is a percentage from 0 to 100.` };
    }
    if (uptimeBelowBps >= previousThreshold) {
      return { error: `${label}: each tier's uptime threshold must be lower than the one before.` };
    }
    if (creditBps <= previousCredit) {
      return { error: `${label}: each tier's credit must be higher than the one before (and the base credit).` };
    }
    parsed.push({ uptimeBelowBps, creditBps });
    previousThreshold = uptimeBelowBps;
    previousCredit = creditBps;
  }
  return { actions: [call(contractNamed(contracts, "SLAEnforcement"), "setCreditPolicy", [base, parsed])] };
}

// ------------------------------------------------------------------------------------------------
// Oracle set (QuorumSigned: SLAEnforcement's SLA signers, ResourceVerifier's verifiers)
// ------------------------------------------------------------------------------------------------

export const SIGNER_SETS = ["SLAEnforcement", "ResourceVerifier"] as const;

/** Addresses separated by commas, spaces or new lines. */
export function parseAddressList(text: string): { addresses: Address[]; invalid: string[] } {
  const items = text.split(/[\s,;]+/).filter(Boolean);
  return {
    addresses: items.filter((item) => isAddress(item, { strict: false })).map((item) => getAddress(item)),
    invalid: items.filter((item) => !isAddress(item, { strict: false })),
  };
}

export interface SignerSetChange {
  contractName: (typeof SIGNER_SETS)[number];
  add: string;
  remove: string;
  /** Empty: keep the current quorum. */
  quorum: string;
}

/**
 * Adds first, then sets the quorum, then removes: every intermediate set then satisfies
 * quorum ≤ signers, which the contract checks at each step.
 */
export function buildSignerChange(
  contracts: KnownContract[],
  current: { signerCount: number; quorum: number },
  change: SignerSetChange,
): Built {
  const add = parseAddressList(change.add);
  const remove = parseAddressList(change.remove);
  const invalid = [...add.invalid, ...remove.invalid];
  if (invalid.length) return { error: `Not an address: ${invalid.join(", ")}.` };
  const all = [...add.addresses, ...remove.addresses];
  if (new Set(all).size !== all.length) return { error: "Each address can appear once, in either list." };
  if (add.addresses.includes(zeroAddress)) return { error: "The zero address cannot be a signer." };
  const quorumText = change.quorum.trim();
  const quorum = quorumText ? Number(quorumText) : current.quorum;
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > 65_535) return { error: "The quorum is a whole number ≥ 1." };
  const finalCount = current.signerCount + add.addresses.length - remove.addresses.length;
  if (finalCount < 1) return { error: "At least one signer must remain." };
  if (quorum > finalCount)
    return { error: `A quorum of ${quorum} needs at least ${quorum} signers (${finalCount} left).` };
  const contract = contractNamed(contracts, change.contractName);
  const actions = [
    ...add.addresses.map((signer) => call(contract, "addSigner", [signer])),
    ...(quorum !== current.quorum ? [call(contract, "setQuorum", [quorum])] : []),
    ...remove.addresses.map((signer) => call(contract, "removeSigner", [signer])),
  ];
  return actions.length ? { actions } : { error: "Nothing changes: add or remove a signer, or change the quorum." };
}

// ------------------------------------------------------------------------------------------------
// Payment tokens (PriceOracle.setPaymentToken / disablePaymentToken)
// ------------------------------------------------------------------------------------------------

export const MAX_UINT32 = 4_294_967_295;

export type PaymentTokenChange =
  { mode: "set"; token: string; feed: string; heartbeatSeconds: string } | { mode: "disable"; token: string };

export function buildPaymentTokenChange(contracts: KnownContract[], change: PaymentTokenChange): Built {
  const oracle = contractNamed(contracts, "PriceOracle");
  if (!isAddress(change.token.trim(), { strict: false })) return { error: "The token is not a valid address." };
  const token = getAddress(change.token.trim());
  if (change.mode === "disable") return { actions: [call(oracle, "disablePaymentToken", [token])] };
  if (!isAddress(change.feed.trim(), { strict: false }) || getAddress(change.feed.trim()) === zeroAddress) {
    return { error: "The price feed is not a valid address." };
  }
  const heartbeat = Number(change.heartbeatSeconds.trim());
  if (!Number.isInteger(heartbeat) || heartbeat < 1 || heartbeat > MAX_UINT32) {
    return { error: "The heartbeat is a whole number of seconds (at least 1)." };
  }
  return { actions: [call(oracle, "setPaymentToken", [token, getAddress(change.feed.trim()), heartbeat])] };
}

// ------------------------------------------------------------------------------------------------
// Contract upgrade (UUPS upgradeToAndCall on a proxy)
// ------------------------------------------------------------------------------------------------

export interface UpgradeChange {
  contractName: ContractName;
  implementation: string;
  /** Call data for the new implementation's initializer, or empty for none. */
  data: string;
}

export function buildUpgrade(contracts: KnownContract[], change: UpgradeChange, currentImplementation?: string): Built {
  const implementation = change.implementation.trim();
  if (!isAddress(implementation, { strict: false }) || getAddress(implementation) === zeroAddress) {
    return { error: "The implementation is not a valid address." };
  }
  if (currentImplementation && getAddress(implementation) === getAddress(currentImplementation)) {
    return { error: "That is the current implementation." };
  }
  const data = change.data.trim() || "0x";
  if (!isHex(data) || data.length % 2 !== 0) return { error: "The call data is hex (0x…), or empty for none." };
  return {
    actions: [
      call(contractNamed(contracts, change.contractName), "upgradeToAndCall", [getAddress(implementation), data]),
    ],
  };
}
