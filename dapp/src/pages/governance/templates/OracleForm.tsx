/** Proposal template: add or remove oracle signers and set the quorum, of SLAEnforcement or ResourceVerifier. */
import { useMemo, useState } from "react";

import { Field, TextField } from "../../../components/Field.tsx";
import {
  useReadResourceVerifierQuorum,
  useReadResourceVerifierSignerCount,
  useReadSlaEnforcementQuorum,
  useReadSlaEnforcementSignerCount,
} from "../../../generated/contracts.ts";
import { SIGNER_SETS, type SignerSetChange, buildSignerChange } from "../actions.ts";
import { type TemplateProps, useReport } from "./template.ts";

export function OracleForm({ contracts, onBuilt }: TemplateProps) {
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
      <Field label="Signer set">
        {(aria) => (
          <select
            {...aria}
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
        )}
      </Field>
      <p className="text-sm">
        Currently{" "}
        {signerCount !== undefined && currentQuorum !== undefined
          ? `${signerCount} signer(s), quorum ${currentQuorum}`
          : "…"}
        .
      </p>
      <Field label="Add signers" hint="Addresses separated by commas or new lines.">
        {(aria) => (
          <textarea
            {...aria}
            className="field w-full font-mono"
            rows={2}
            value={change.add}
            onChange={(e) => set({ add: e.target.value })}
            spellCheck={false}
          />
        )}
      </Field>
      <Field label="Remove signers">
        {(aria) => (
          <textarea
            {...aria}
            className="field w-full font-mono"
            rows={2}
            value={change.remove}
            onChange={(e) => set({ remove: e.target.value })}
            spellCheck={false}
          />
        )}
      </Field>
      <TextField
        label="New quorum"
        hint="Leave empty to keep the current quorum."
        inputClassName="field w-24"
        inputMode="numeric"
        value={change.quorum}
        onChange={(value) => set({ quorum: value })}
      />
    </>
  );
}
