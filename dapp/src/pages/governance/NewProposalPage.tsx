/** A new DAO proposal: pick a template, fill it in, then title, describe and propose it. */
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useAccount } from "wagmi";

import { Page } from "../../components/Layout.tsx";
import { ErrorState } from "../../components/States.tsx";
import { config } from "../../config.ts";
import { useReadDaoGovernanceProposalThreshold, useReadDcxTokenGetVotes } from "../../generated/contracts.ts";
import { type Built, knownContracts } from "./actions.ts";
import { dcx } from "./components.tsx";
import { ProposeForm } from "./ProposeForm.tsx";
import { CreditForm } from "./templates/CreditForm.tsx";
import { FeeForm } from "./templates/FeeForm.tsx";
import { OracleForm } from "./templates/OracleForm.tsx";
import { TokenForm } from "./templates/TokenForm.tsx";
import { UpgradeForm } from "./templates/UpgradeForm.tsx";

const TEMPLATES = [
  { id: "fee", label: "Protocol fee", title: "Change the protocol fee" },
  { id: "credit", label: "SLA credit tiers", title: "Change the SLA credit policy" },
  { id: "oracles", label: "Oracle set", title: "Change the oracle signers" },
  { id: "tokens", label: "Payment tokens", title: "Change the payment tokens" },
  { id: "upgrade", label: "Contract upgrade", title: "Upgrade a contract" },
] as const;
type TemplateId = (typeof TEMPLATES)[number]["id"];

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
