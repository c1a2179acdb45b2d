/** Proposal template: a new protocol fee (EscrowManager.updateSettings with only the fee changed). */
import { useMemo, useState } from "react";

import { TextField } from "../../../components/Field.tsx";
import { ErrorState } from "../../../components/States.tsx";
import { useReadEscrowManagerMaxProtocolFeeBps, useReadEscrowManagerSettings } from "../../../generated/contracts.ts";
import { formatBps } from "../../../lib/format.ts";
import { buildFeeChange } from "../actions.ts";
import { type TemplateProps, useReport } from "./template.ts";

export function FeeForm({ contracts, onBuilt }: TemplateProps) {
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
      <TextField
        label="New fee (%)"
        hint="For example 2.5 — up to two decimals."
        inputClassName="field w-40"
        inputMode="decimal"
        value={fee}
        onChange={setFee}
      />
    </>
  );
}
