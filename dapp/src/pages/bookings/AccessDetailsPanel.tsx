/**
 * The access details of a provisioned booking, decrypted in this browser only: the envelope comes
 * from IPFS, the key from the consumer's wallet signature. Every decrypted field is untrusted text.
 */
import { type AccessDetails, type AccessKeyPair, MAX_ACCESS_ENVELOPE_BYTES } from "@d-cloudx/sdk/access";
import { useState } from "react";

import { accessKeyPair } from "../../lib/accessKey.ts";
import { decodeError } from "../../lib/errors.ts";
import { fetchIpfs } from "../../lib/ipfs.ts";
import { CREDENTIAL_LABELS, accessLink, openEnvelope, sshCommand } from "./accessDetails.ts";
import { CopyButton } from "./CopyButton.tsx";

type State =
  | { status: "hidden" }
  | { status: "fetching" }
  | { status: "signing" }
  | { status: "shown"; details: AccessDetails }
  | { status: "failed"; message: string };

export function AccessDetailsPanel({ cid, encryptionPublicKey }: { cid: string; encryptionPublicKey: string }) {
  const [state, setState] = useState<State>({ status: "hidden" });

  const show = async () => {
    setState({ status: "fetching" });
    let envelope: Uint8Array;
    try {
      envelope = await fetchIpfs(cid, MAX_ACCESS_ENVELOPE_BYTES);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      setState({
        status: "failed",
        message: `The encrypted access details could not be fetched from IPFS: ${reason}.`,
      });
      return;
    }
    setState({ status: "signing" });
    let pair: AccessKeyPair;
    try {
      pair = await accessKeyPair();
    } catch (error) {
      const decoded = decodeError(error);
      setState(
        decoded.cancelled
          ? { status: "hidden" }
          : { status: "failed", message: `Your wallet did not sign the key message: ${decoded.message}` },
      );
      return;
    }
    const opened = openEnvelope(envelope, pair, encryptionPublicKey);
    setState(opened.ok ? { status: "shown", details: opened.details } : { status: "failed", message: opened.message });
  };

  if (state.status === "shown")
    return <DetailsList details={state.details} hide={() => setState({ status: "hidden" })} />;
  const busy = state.status === "fetching" || state.status === "signing";
  return (
    <div className="space-y-2">
      <button type="button" className="btn" onClick={show} disabled={busy}>
        {state.status === "fetching"
          ? "Fetching from IPFS…"
          : state.status === "signing"
            ? "Sign the key message in your wallet…"
            : "Show access details"}
      </button>
      <p className="text-xs text-slate-400">
        Decrypted here, in your browser, with a key derived from your wallet&apos;s signature. Nothing is sent anywhere.
      </p>
      {state.status === "failed" ? (
        <p role="alert" className="text-sm text-rose-300">
          {state.message}
        </p>
      ) : null}
    </div>
  );
}

function Field({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const [revealed, setRevealed] = useState(!secret);
  return (
    <div className="space-y-1">
      <dt className="text-xs text-slate-400">{label}</dt>
      <dd className="flex flex-wrap items-start gap-2">
        <pre className="min-w-0 flex-1 overflow-x-auto rounded bg-slate-950 px-2 py-1 font-mono text-sm break-all whitespace-pre-wrap">
          {revealed ? value : "•".repeat(Math.min(24, value.length))}
        </pre>
        {secret ? (
          <button
            type="button"
            className="btn btn-secondary px-2 py-1 text-xs"
            aria-pressed={revealed}
            onClick={() => setRevealed(!revealed)}
          >
            {revealed ? "Hide" : "Reveal"}
          </button>
        ) : null}
        <CopyButton value={value} label={label} />
      </dd>
    </div>
  );
}

function DetailsList({ details, hide }: { details: AccessDetails; hide: () => void }) {
  const link = accessLink(details);
  const command = sshCommand(details);
  const storage = details.objectStorage;
  return (
    <div className="space-y-3 rounded-lg border border-emerald-900 bg-emerald-950/20 p-3">
      <div className="flex items-center justify-between gap-2">
        <h4 className="font-medium text-emerald-200">Access details</h4>
        <button type="button" className="btn btn-secondary px-2 py-1 text-xs" onClick={hide}>
          Hide details
        </button>
      </div>
      <dl className="space-y-2">
        {storage ? (
          <>
            <Field label={storage.api === "azure-blob" ? "Container" : "Bucket"} value={storage.bucket} />
            <Field label="Endpoint" value={storage.endpoint} />
            <Field label="Region" value={storage.region} />
            <Field label="Capacity" value={`${storage.capacityGib} GiB`} />
            {storage.expiresAt ? <Field label="Credentials expire" value={storage.expiresAt} /> : null}
            {details.credentials.kind === "access-key" ? <Field label="Access key id" value={details.user} /> : null}
          </>
        ) : (
          <>
            <Field label="Protocol" value={details.protocol} />
            <Field label="Host" value={details.host} />
            <Field label="Port" value={String(details.port)} />
            <Field label="User" value={details.user} />
          </>
        )}
        <Field label={CREDENTIAL_LABELS[details.credentials.kind]} value={details.credentials.secret} secret />
        {details.url ? <Field label="URL" value={details.url} secret={Boolean(storage)} /> : null}
        {command ? <Field label="Connect with" value={command} /> : null}
        {Object.entries(storage?.examples ?? {}).map(([client, example]) => (
          <Field key={client} label={`With ${client}`} value={example} secret />
        ))}
      </dl>
      {link ? (
        <p className="text-sm">
          <a href={link} target="_blank" rel="noopener noreferrer" className="underline">
            Open {link}
          </a>
        </p>
      ) : null}
      <p className="text-xs text-slate-400">Keep these secret: anyone with them can use the resource you pay for.</p>
    </div>
  );
}
