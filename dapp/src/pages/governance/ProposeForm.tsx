/** The proposal itself: title, description, the preview of the calls and the propose transaction. */
import { useState } from "react";
import { useNavigate } from "react-router";
import { parseEventLogs } from "viem";
import { useAccount } from "wagmi";

import { Field, TextField } from "../../components/Field.tsx";
import { daoGovernanceAbi, simulateDaoGovernancePropose } from "../../generated/contracts.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import {
  type Built,
  type KnownContract,
  MAX_TITLE_LENGTH,
  composeDescription,
  decodeAction,
  validateTitle,
} from "./actions.ts";
import { ActionList } from "./components.tsx";

/** Title, description, the preview of the calls and the propose transaction. */
export function ProposeForm({
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
      <TextField
        label="Title"
        inputClassName="field w-full"
        maxLength={MAX_TITLE_LENGTH + 20}
        value={title}
        onChange={setTitle}
      />
      <Field label="Description" hint="Why this change: voters read it as plain text.">
        {(aria) => (
          <textarea
            {...aria}
            className="field w-full"
            rows={5}
            maxLength={10_000}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        )}
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
