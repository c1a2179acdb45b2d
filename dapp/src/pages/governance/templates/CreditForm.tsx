/** Proposal template: the SLA credit policy (base credit and tiers), starting from the current one. */
import { useMemo, useState } from "react";

import { TextField } from "../../../components/Field.tsx";
import { ErrorState, Skeleton } from "../../../components/States.tsx";
import { useReadSlaEnforcementCreditPolicy } from "../../../generated/contracts.ts";
import { type CreditTierInput, MAX_CREDIT_TIERS, buildCreditPolicy } from "../actions.ts";
import { type TemplateProps, useReport } from "./template.ts";

const percent = (bps: number) => String(bps / 100);

export function CreditForm({ contracts, onBuilt }: TemplateProps) {
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

/** Every percentage of the policy is typed the same way. */
function PercentField(props: { label: string; value: string; onChange: (value: string) => void }) {
  return <TextField {...props} inputClassName="field w-32" inputMode="decimal" />;
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
      <PercentField label="Base credit (%)" value={base} onChange={setBase} />
      <ol className="space-y-2">
        {tiers.map((tier, index) => (
          <li key={index} className="flex flex-wrap items-end gap-2">
            <PercentField
              label={`Tier ${index + 1}: uptime below (%)`}
              value={tier.uptimeBelowPercent}
              onChange={(value) => update(index, { uptimeBelowPercent: value })}
            />
            <PercentField
              label="credit (%)"
              value={tier.creditPercent}
              onChange={(value) => update(index, { creditPercent: value })}
            />
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
