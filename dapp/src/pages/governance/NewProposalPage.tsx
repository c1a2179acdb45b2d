import type { ContractName } from "@d-cloudx/sdk";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { type Address, getAddress, parseEventLogs, sliceHex } from "viem";
import { useAccount, useStorageAt } from "wagmi";

import { Page } from "../../components/Layout.tsx";
import { ErrorState, Skeleton } from "../../components/States.tsx";
import { config } from "../../config.ts";
import {
  daoGovernanceAbi,
  simulateDaoGovernancePropose,
  useReadDaoGovernanceProposalThreshold,
  useReadDcxTokenGetVotes,
  useReadEscrowManagerMaxProtocolFeeBps,
  useReadEscrowManagerSettings,
  useReadResourceVerifierQuorum,
  useReadResourceVerifierSignerCount,
  useReadSlaEnforcementCreditPolicy,
  useReadSlaEnforcementQuorum,
  useReadSlaEnforcementSignerCount,
} from "../../generated/contracts.ts";
import { formatBps } from "../../lib/format.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import {
  type Built,
  type CreditTierInput,
  type KnownContract,
  MAX_CREDIT_TIERS,
  MAX_TITLE_LENGTH,
  SIGNER_SETS,
  type SignerSetChange,
  buildCreditPolicy,
  buildFeeChange,
  buildPaymentTokenChange,
  buildSignerChange,
  buildUpgrade,
  composeDescription,
  decodeAction,
  knownContracts,
  validateTitle,
} from "./actions.ts";
import { ActionList, dcx } from "./components.tsx";

const TEMPLATES = [
  { id: "fee", label: "Protocol fee", title: "Change the protocol fee" },
  { id: "credit", label: "SLA credit tiers", title: "Change the SLA credit policy" },
  { id: "oracles", label: "Oracle set", title: "Change the oracle signers" },
  { id: "tokens", label: "Payment tokens", title: "Change the payment tokens" },
  { id: "upgrade", label: "Contract upgrade", title: "Upgrade a contract" },
] as const;
type TemplateId = (typeof TEMPLATES)[number]["id"];

/** The EIP-1967 slot where a proxy keeps its implementation's address. */
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

export default function NewProposalPage() {
  const contracts = useMemo(() => (config.deployment ? knownContracts(config.deployment) : []), []);
  const [template, setTemplate] = useState<TemplateId>("fee");
  const [built, setBuilt] = useState<Built>({ error: "" });
  // Problems show once the user has typed something (or tried to propose), not on a fresh form.
  const [touched, setTouched] = useState(false);

  return (
    <Page title="New proposal">
      <Requirement />
      <fieldset className="card">
        <legend className="label">What should change?</legend>
        <div className="flex flex-wrap gap-2">
          {TEMPLATES.map((option) => (
            <label
              key={option.id}
              className={`cursor-pointer rounded-md border px-3 py-1.5 text-sm has-[:focus-visible]:ring-2 ${template === option.id ? "border-sky-500 bg-sky-950" : "border-slate-700"}`}
            >
              <input
                type="radio"
                name="template"
                className="sr-only"
                value={option.id}
                checked={template === option.id}
                onChange={() => {
                  setTemplate(option.id);
                  setBuilt({ error: "" });
                  setTouched(false);
                }}
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="card space-y-4" onInput={() => setTouched(true)} onChange={() => setTouched(true)}>
        {template === "fee" ? <FeeForm contracts={contracts} onBuilt={setBuilt} /> : null}
        {template === "credit" ? <CreditForm contracts={contracts} onBuilt={setBuilt} /> : null}
        {template === "oracles" ? <OracleForm contracts={contracts} onBuilt={setBuilt} /> : null}
        {template === "tokens" ? <TokenForm contracts={contracts} onBuilt={setBuilt} /> : null}
        {template === "upgrade" ? <UpgradeForm contracts={contracts} onBuilt={setBuilt} /> : null}
      </div>
      <ProposeForm
        key={template}
        contracts={contracts}
        built={built}
        touched={touched}
        defaultTitle={TEMPLATES.find((option) => option.id === template)!.title}
      />
    </Page>
  );
}

/** Voting power against the proposal threshold, shown before anything is filled in. */
function Requirement() {
  const { address: account } = useAccount();
  const threshold = useReadDaoGovernanceProposalThreshold();
  const votes = useReadDcxTokenGetVotes({
    args: account ? [account] : undefined,
    query: { enabled: Boolean(account) },
  });
  if (threshold.error) return <ErrorState title="The chain is unreachable." error={threshold.error} />;
  const needed = threshold.data;
  const enough = needed !== undefined && votes.data !== undefined && votes.data >= needed;
  return (
    <p
      className={`rounded-md border px-3 py-2 text-sm ${enough ? "border-emerald-800 bg-emerald-950/40" : "border-amber-800 bg-amber-950/40"}`}
      data-can-propose={enough}
    >
      Proposing needs {needed === undefined ? "…" : dcx(needed)} of voting power.{" "}
      {!account
        ? "Connect a wallet to check yours."
        : votes.data === undefined
          ? ""
          : enough
            ? `You have ${dcx(votes.data)}.`
            : `You have ${dcx(votes.data)}: `}
      {account && votes.data !== undefined && !enough ? <Link to="/governance">delegate to yourself first</Link> : null}
    </p>
  );
}

interface TemplateProps {
  contracts: KnownContract[];
  onBuilt: (built: Built) => void;
}

/** Hands the template's result to the page whenever it changes. */
function useReport(onBuilt: (built: Built) => void, built: Built) {
  useEffect(() => onBuilt(built), [onBuilt, built]);
}

function Field({ id, label, hint, children }: { id: string; label: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="label">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function FeeForm({ contracts, onBuilt }: TemplateProps) {
  const settings = useReadEscrowManagerSettings();
  const maxFee = useReadEscrowManagerMaxProtocolFeeBps();
  const [fee, setFee] = useState("");
  const built = useMemo(
    () =>
      settings.data && maxFee.data !== undefined
        ? buildFeeChange(contracts, settings.data, maxFee.data, fee)
        : { error: "Reading the current settings…" },
    [contracts, settings.data, maxFee.data, fee],
  );
  useReport(onBuilt, built);
  if (settings.error) return <ErrorState title="The escrow's settings cannot be read." error={settings.error} />;
  return (
    <>
      <h2 className="text-lg font-semibold">Protocol fee</h2>
      <p className="text-sm text-slate-400">
        The share of provider earnings the treasury receives. Only the fee changes; the escrow's other settings stay as
        they are.
      </p>
      <p className="text-sm">
        Current fee: <strong>{settings.data ? formatBps(settings.data.protocolFeeBps) : "…"}</strong>
        {maxFee.data !== undefined ? <span className="text-slate-400"> (at most {formatBps(maxFee.data)})</span> : null}
      </p>
      <Field id="fee-percent" label="New fee (%)" hint="For example 2.5 — up to two decimals.">
        <input
          id="fee-percent"
          className="field w-40"
          inputMode="decimal"
          value={fee}
          onChange={(event) => setFee(event.target.value)}
          aria-describedby="fee-percent-hint proposal-error"
        />
      </Field>
    </>
  );
}

const percent = (bps: number) => String(bps / 100);

function CreditForm({ contracts, onBuilt }: TemplateProps) {
  const policy = useReadSlaEnforcementCreditPolicy();
  if (policy.error) return <ErrorState title="The current credit policy cannot be read." error={policy.error} />;
  if (!policy.data) return <Skeleton className="h-32 w-full" />;
  const [base, tiers] = policy.data;
  return (
    <CreditFields
      contracts={contracts}
      onBuilt={onBuilt}
      initialBase={percent(base)}
      initialTiers={tiers.map((tier) => ({
        uptimeBelowPercent: percent(tier.uptimeBelowBps),
        creditPercent: percent(tier.creditBps),
      }))}
    />
  );
}

function CreditFields({
  contracts,
  onBuilt,
  initialBase,
  initialTiers,
}: TemplateProps & { initialBase: string; initialTiers: CreditTierInput[] }) {
  const [base, setBase] = useState(initialBase);
  const [tiers, setTiers] = useState(initialTiers);
  useReport(
    onBuilt,
    useMemo(() => buildCreditPolicy(contracts, base, tiers), [contracts, base, tiers]),
  );
  const update = (index: number, patch: Partial<CreditTierInput>) =>
    setTiers(tiers.map((tier, i) => (i === index ? { ...tier, ...patch } : tier)));
  return (
    <>
      <h2 className="text-lg font-semibold">SLA credit tiers</h2>
      <p className="text-sm text-slate-400">
        A period that misses its SLA credits the consumer the base credit; periods with lower uptime earn the credit of
        the lowest tier they fall under. Thresholds fall and credits rise from tier to tier. The form starts from the
        current policy.
      </p>
      <Field id="credit-base" label="Base credit (%)">
        <input
          id="credit-base"
          className="field w-32"
          inputMode="decimal"
          value={base}
          onChange={(e) => setBase(e.target.value)}
        />
      </Field>
      <ol className="space-y-2">
        {tiers.map((tier, index) => (
          <li key={index} className="flex flex-wrap items-end gap-2">
            <Field id={`tier-${index}-uptime`} label={`Tier ${index + 1}: uptime below (%)`}>
              <input
                id={`tier-${index}-uptime`}
                className="field w-32"
                inputMode="decimal"
                value={tier.uptimeBelowPercent}
                onChange={(e) => update(index, { uptimeBelowPercent: e.target.value })}
              />
            </Field>
            <Field id={`tier-${index}-credit`} label="credit (%)">
              <input
                id={`tier-${index}-credit`}
                className="field w-32"
                inputMode="decimal"
                value={tier.creditPercent}
                onChange={(e) => update(index, { creditPercent: e.target.value })}
              />
            </Field>
            <button
              type="button"
              className="btn btn-secondary"
              aria-label={`Remove tier ${index + 1}`}
              onClick={() => setTiers(tiers.filter((_, i) => i !== index))}
            >
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={tiers.length >= MAX_CREDIT_TIERS}
        onClick={() => setTiers([...tiers, { uptimeBelowPercent: "", creditPercent: "" }])}
      >
        Add tier
      </button>
    </>
  );
}

function OracleForm({ contracts, onBuilt }: TemplateProps) {
  const [change, setChange] = useState<SignerSetChange>({
    contractName: "SLAEnforcement",
    add: "",
    remove: "",
    quorum: "",
  });
  const slaCount = useReadSlaEnforcementSignerCount();
  const slaQuorum = useReadSlaEnforcementQuorum();
  const verifierCount = useReadResourceVerifierSignerCount();
  const verifierQuorum = useReadResourceVerifierQuorum();
  const [count, quorum] =
    change.contractName === "SLAEnforcement" ? [slaCount, slaQuorum] : [verifierCount, verifierQuorum];
  const signerCount = count.data === undefined ? undefined : Number(count.data);
  const currentQuorum = quorum.data;
  const built = useMemo(
    () =>
      signerCount !== undefined && currentQuorum !== undefined
        ? buildSignerChange(contracts, { signerCount, quorum: currentQuorum }, change)
        : { error: "Reading the current signer set…" },
    [contracts, signerCount, currentQuorum, change],
  );
  useReport(onBuilt, built);
  const set = (patch: Partial<SignerSetChange>) => setChange({ ...change, ...patch });
  return (
    <>
      <h2 className="text-lg font-semibold">Oracle set</h2>
      <p className="text-sm text-slate-400">
        Signers whose EIP-712 signatures the contract accepts, and how many must sign each report.
      </p>
      <Field id="signer-set" label="Signer set">
        <select
          id="signer-set"
          className="field"
          value={change.contractName}
          onChange={(e) => set({ contractName: e.target.value as SignerSetChange["contractName"] })}
        >
          {SIGNER_SETS.map((name) => (
            <option key={name} value={name}>
              {name === "SLAEnforcement"
                ? "SLA report signers (SLAEnforcement)"
                : "Resource verifiers (ResourceVerifier)"}
            </option>
          ))}
        </select>
      </Field>
      <p className="text-sm">
        Currently{" "}
        {signerCount !== undefined && currentQuorum !== undefined
          ? `${signerCount} signer(s), quorum ${currentQuorum}`
          : "…"}
        .
      </p>
      <Field id="signers-add" label="Add signers" hint="Addresses separated by commas or new lines.">
        <textarea
          id="signers-add"
          className="field w-full font-mono"
          rows={2}
          value={change.add}
          onChange={(e) => set({ add: e.target.value })}
          aria-describedby="signers-add-hint"
          spellCheck={false}
        />
      </Field>
      <Field id="signers-remove" label="Remove signers">
        <textarea
          id="signers-remove"
          className="field w-full font-mono"
          rows={2}
          value={change.remove}
          onChange={(e) => set({ remove: e.target.value })}
          spellCheck={false}
        />
      </Field>
      <Field id="signers-quorum" label="New quorum" hint="Leave empty to keep the current quorum.">
        <input
          id="signers-quorum"
          className="field w-24"
          inputMode="numeric"
          value={change.quorum}
          onChange={(e) => set({ quorum: e.target.value })}
          aria-describedby="signers-quorum-hint"
        />
      </Field>
    </>
  );
}

function TokenForm({ contracts, onBuilt }: TemplateProps) {
  const tokens = config.deployment?.paymentTokens ?? [];
  const [mode, setMode] = useState<"set" | "disable">("set");
  const [token, setToken] = useState("");
  const [feed, setFeed] = useState("");
  const [heartbeat, setHeartbeat] = useState("3600");
  const built = useMemo(
    () =>
      buildPaymentTokenChange(
        contracts,
        mode === "set" ? { mode, token, feed, heartbeatSeconds: heartbeat } : { mode, token },
      ),
    [contracts, mode, token, feed, heartbeat],
  );
  useReport(onBuilt, built);
  return (
    <>
      <h2 className="text-lg font-semibold">Payment tokens</h2>
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="label">Change</legend>
        <label className="flex items-center gap-1">
          <input type="radio" name="token-mode" checked={mode === "set"} onChange={() => setMode("set")} />
          Accept a token or change its price feed
        </label>
        <label className="flex items-center gap-1">
          <input type="radio" name="token-mode" checked={mode === "disable"} onChange={() => setMode("disable")} />
          Stop accepting a token
        </label>
      </fieldset>
      {mode === "disable" ? (
        <Field id="token-disable" label="Token">
          <select id="token-disable" className="field" value={token} onChange={(e) => setToken(e.target.value)}>
            <option value="">Choose a token…</option>
            {tokens.map((item) => (
              <option key={item.address} value={item.address}>
                {item.symbol} ({item.address})
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <>
          <Field id="token-address" label="Token address" hint="The zero address is the chain's native coin (ETH).">
            <input
              id="token-address"
              className="field w-full font-mono"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-describedby="token-address-hint"
              spellCheck={false}
            />
          </Field>
          <Field id="token-feed" label="Chainlink price feed (token / USD)">
            <input
              id="token-feed"
              className="field w-full font-mono"
              value={feed}
              onChange={(e) => setFeed(e.target.value)}
              spellCheck={false}
            />
          </Field>
          <Field id="token-heartbeat" label="Heartbeat (seconds)" hint="Prices older than this count as stale.">
            <input
              id="token-heartbeat"
              className="field w-40"
              inputMode="numeric"
              value={heartbeat}
              onChange={(e) => setHeartbeat(e.target.value)}
              aria-describedby="token-heartbeat-hint"
            />
          </Field>
        </>
      )}
    </>
  );
}

function UpgradeForm({ contracts, onBuilt }: TemplateProps) {
  const proxies = contracts.filter((contract) => contract.name !== "Timelock");
  const [contractName, setContractName] = useState<ContractName>("EscrowManager");
  const [implementation, setImplementation] = useState("");
  const [data, setData] = useState("");
  const proxy = proxies.find((contract) => contract.name === contractName)?.address;
  const slot = useStorageAt({ address: proxy, slot: IMPLEMENTATION_SLOT, query: { enabled: Boolean(proxy) } });
  const current: Address | undefined = slot.data ? getAddress(sliceHex(slot.data, 12)) : undefined;
  const built = useMemo(
    () => buildUpgrade(contracts, { contractName, implementation, data }, current),
    [contracts, contractName, implementation, data, current],
  );
  useReport(onBuilt, built);
  return (
    <>
      <h2 className="text-lg font-semibold">Contract upgrade</h2>
      <p className="text-sm text-slate-400">
        Points a proxy at a new implementation (UUPS <code>upgradeToAndCall</code>). Deploy and review the
        implementation first: its storage layout must extend the current one.
      </p>
      <Field id="upgrade-contract" label="Contract">
        <select
          id="upgrade-contract"
          className="field"
          value={contractName}
          onChange={(e) => setContractName(e.target.value as ContractName)}
        >
          {proxies.map((contract) => (
            <option key={contract.name} value={contract.name}>
              {contract.name}
            </option>
          ))}
        </select>
      </Field>
      <p className="text-sm break-all">
        Current implementation: <span className="font-mono">{current ?? "…"}</span>
      </p>
      <Field id="upgrade-implementation" label="New implementation address">
        <input
          id="upgrade-implementation"
          className="field w-full font-mono"
          value={implementation}
          onChange={(e) => setImplementation(e.target.value)}
          spellCheck={false}
        />
      </Field>
      <Field
        id="upgrade-data"
        label="Call after upgrading (hex, optional)"
        hint="A reinitializer call, or empty for none."
      >
        <input
          id="upgrade-data"
          className="field w-full font-mono"
          value={data}
          onChange={(e) => setData(e.target.value)}
          aria-describedby="upgrade-data-hint"
          spellCheck={false}
        />
      </Field>
    </>
  );
}

/** Title, description, the preview of the calls and the propose transaction. */
function ProposeForm({
  contracts,
  built,
  touched,
  defaultTitle,
}: {
  contracts: KnownContract[];
  built: Built;
  touched: boolean;
  defaultTitle: string;
}) {
  const { address: account } = useAccount();
  const navigate = useNavigate();
  const [title, setTitle] = useState(defaultTitle);
  const [body, setBody] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const tx = useTransaction("Propose");
  const titleError = validateTitle(title);
  const error = built.error || titleError;

  const propose = async () => {
    setSubmitted(true);
    if (error || !built.actions || !account) return;
    const description = composeDescription(title, body);
    const { actions } = built;
    const receipt = await tx.send(() =>
      simulateDaoGovernancePropose(wagmiConfig, {
        args: [actions.map((a) => a.target), actions.map((a) => a.value), actions.map((a) => a.calldata), description],
        account,
      }),
    );
    if (!receipt) return;
    const [created] = parseEventLogs({ abi: daoGovernanceAbi, eventName: "ProposalCreated", logs: receipt.logs });
    if (created) await navigate(`/governance/${created.args.proposalId}`);
  };

  return (
    <form
      className="card space-y-4"
      aria-labelledby="propose-title"
      onSubmit={(event) => {
        event.preventDefault();
        void propose();
      }}
      noValidate
    >
      <h2 id="propose-title" className="text-lg font-semibold">
        Proposal
      </h2>
      <Field id="proposal-title" label="Title">
        <input
          id="proposal-title"
          className="field w-full"
          maxLength={MAX_TITLE_LENGTH + 20}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={submitted && titleError ? true : undefined}
        />
      </Field>
      <Field id="proposal-body" label="Description" hint="Why this change: voters read it as plain text.">
        <textarea
          id="proposal-body"
          className="field w-full"
          rows={5}
          maxLength={10_000}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          aria-describedby="proposal-body-hint"
        />
      </Field>
      <div className="space-y-2">
        <h3 className="font-medium">Preview of the actions</h3>
        {built.actions ? (
          <ActionList actions={built.actions.map((action) => decodeAction(contracts, action))} />
        ) : (
          <p className="text-sm text-slate-400">Fill in the template above to see the calls.</p>
        )}
      </div>
      {error && (submitted || touched) ? (
        <p id="proposal-error" role="alert" className="text-sm text-amber-300">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn" disabled={tx.busy || !account}>
        Propose
      </button>
      {!account ? <p className="text-xs text-slate-400">Connect a wallet to propose.</p> : null}
      <TxStatus state={tx.state} />
    </form>
  );
}
