/**
 * The three ways a provider writes a listing: list a new resource (metadata + terms), replace its
 * metadata document, change its terms. Each checks the form before anything is uploaded or signed.
 */
import { useState } from "react";
import { decodeEventLog } from "viem";
import { useAccount } from "wagmi";

import {
  resourceMarketplaceAbi,
  simulateResourceMarketplaceListResource,
  simulateResourceMarketplaceUpdateResourceMetadata,
  simulateResourceMarketplaceUpdateResourceTerms,
} from "../../generated/contracts.ts";
import { useResourceMetadata } from "../../lib/ipfs.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { FormError } from "../../components/Field.tsx";
import { MetadataFields, TermsFields } from "./ListingFields.tsx";
import {
  type FieldErrors,
  type ListingForm,
  type MetadataForm,
  type TermsForm,
  checkListing,
  checkMetadata,
  checkTerms,
  emptyMetadataForm,
  emptyTermsForm,
  loosensSla,
  metadataForm,
} from "./listing.ts";
import { usePaymentTokens } from "../../lib/tokens.ts";
import { useUpload } from "./useUpload.ts";

/** The tokens a listing may accept: those the PriceOracle takes payments in now. */
function useAcceptableTokens() {
  const { tokens, loading } = usePaymentTokens();
  const enabled = tokens.filter((token) => token.enabled);
  return { tokens: enabled, addresses: enabled.map((token) => token.address), loading };
}

function Actions({
  submitLabel,
  uploading,
  tx,
  onCancel,
}: {
  submitLabel: string;
  uploading: boolean;
  tx: ReturnType<typeof useTransaction>;
  onCancel?: () => void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button type="submit" className="btn" disabled={uploading || tx.busy}>
        {uploading ? "Publishing to IPFS…" : submitLabel}
      </button>
      {onCancel ? (
        <button type="button" className="btn btn-secondary" onClick={onCancel} disabled={uploading || tx.busy}>
          Cancel
        </button>
      ) : null}
      <TxStatus state={tx.state} />
    </div>
  );
}

/** Moves focus to the first field in error, so a keyboard or screen-reader user lands on it. */
function focusFirstError(form: HTMLFormElement) {
  requestAnimationFrame(() => form.querySelector<HTMLElement>("[aria-invalid='true']")?.focus());
}

export function ListResourceForm(props: { onListed: (resourceId: bigint) => void; onCancel: () => void }) {
  const acceptable = useAcceptableTokens();
  // The form starts with every acceptable token ticked, so it waits for the list.
  if (acceptable.loading) return <p className="text-sm text-slate-400">Reading the payment tokens…</p>;
  return <NewListing {...props} acceptable={acceptable} />;
}

function NewListing({
  onListed,
  onCancel,
  acceptable: { tokens, addresses: acceptable },
}: {
  onListed: (resourceId: bigint) => void;
  onCancel: () => void;
  acceptable: ReturnType<typeof useAcceptableTokens>;
}) {
  const { address } = useAccount();
  const tx = useTransaction("List resource");
  const { uploading, formError, upload } = useUpload();
  const [form, setForm] = useState<ListingForm>({
    ...emptyMetadataForm,
    ...emptyTermsForm,
    acceptedTokens: acceptable,
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = (change: Partial<ListingForm>) => setForm((current) => ({ ...current, ...change }));

  const submit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const checked = checkListing(form, acceptable);
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return focusFirstError(event.currentTarget);
    if (!address) return;
    const cid = await upload(checked.value.metadata);
    if (!cid) return;
    const { kind, region, terms } = checked.value;
    const receipt = await tx.send(() =>
      simulateResourceMarketplaceListResource(wagmiConfig, {
        args: [{ metadataCid: cid, region, kind, terms }],
        account: address,
      }),
    );
    if (!receipt) return;
    const listed = receipt.logs
      .map((log) => {
        try {
          return decodeEventLog({ abi: resourceMarketplaceAbi, data: log.data, topics: log.topics });
        } catch {
          return undefined;
        }
      })
      .find((decoded) => decoded?.eventName === "ResourceListed");
    if (listed?.eventName === "ResourceListed") onListed(listed.args.resourceId);
  };

  return (
    <form onSubmit={submit} noValidate className="card space-y-6" aria-labelledby="list-title">
      <h2 id="list-title" className="text-lg font-semibold">
        List a resource
      </h2>
      <MetadataFields form={form} errors={errors} set={set} />
      <TermsFields form={form} errors={errors} set={set} tokens={tokens} withKind />
      {Object.keys(errors).length > 0 ? (
        <p role="alert" className="text-sm text-rose-300">
          Fix the {Object.keys(errors).length === 1 ? "field" : `${Object.keys(errors).length} fields`} marked above;
          nothing was published.
        </p>
      ) : null}
      <FormError message={formError} />
      <Actions submitLabel="Publish and list" uploading={uploading} tx={tx} onCancel={onCancel} />
    </form>
  );
}

export function EditMetadataForm({
  resourceId,
  metadataCid,
  onDone,
}: {
  resourceId: bigint;
  metadataCid: string;
  onDone: () => void;
}) {
  const { address } = useAccount();
  const tx = useTransaction(`Update metadata of resource #${resourceId}`);
  const { uploading, formError, setFormError, upload } = useUpload();
  const [form, setForm] = useState<MetadataForm>();
  const [errors, setErrors] = useState<FieldErrors>({});

  // Start from the published document once it arrives; one that fails the schema starts empty.
  const published = useResourceMetadata(metadataCid).data;
  const [loaded, setLoaded] = useState<typeof published>();
  if (published && published !== loaded) {
    setLoaded(published);
    if (published.ok) setForm(metadataForm(published.value));
    else {
      setForm(emptyMetadataForm);
      setFormError(`The current document could not be loaded (${published.errors[0]}); describe the resource anew.`);
    }
  }

  if (!form)
    return (
      <p role="status" className="text-sm text-slate-400">
        Loading the current metadata from IPFS…
      </p>
    );

  const submit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const checked = checkMetadata(form);
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return focusFirstError(event.currentTarget);
    if (!address) return;
    const cid = await upload(checked.value);
    if (!cid) return;
    if (cid === metadataCid) return setFormError("Nothing changed: the document is the same as the published one.");
    const receipt = await tx.send(() =>
      simulateResourceMarketplaceUpdateResourceMetadata(wagmiConfig, { args: [resourceId, cid], account: address }),
    );
    if (receipt) onDone();
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label={`Edit metadata of resource #${resourceId}`}>
      <MetadataFields form={form} errors={errors} set={(change) => setForm({ ...form, ...change })} />
      <p className="text-xs text-slate-500">
        The on-chain region stays as listed; a new document resets the resource's verification.
      </p>
      <FormError message={formError} />
      <Actions submitLabel="Publish new metadata" uploading={uploading} tx={tx} onCancel={onDone} />
    </form>
  );
}

export interface CurrentTerms {
  uptimeTargetBps: number;
  maxLatencyMs: number;
  openBookings: number;
}

export function EditTermsForm({
  resourceId,
  initial,
  current,
  onDone,
}: {
  resourceId: bigint;
  initial: TermsForm;
  current: CurrentTerms;
  onDone: () => void;
}) {
  const { address } = useAccount();
  const { tokens, addresses: acceptable } = useAcceptableTokens();
  const tx = useTransaction(`Update terms of resource #${resourceId}`);
  const [form, setForm] = useState<TermsForm>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});

  const checked = checkTerms(form, acceptable);
  const loosened = checked.ok && current.openBookings > 0 && loosensSla(current, checked.value);

  const submit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return focusFirstError(event.currentTarget);
    if (!address) return;
    const receipt = await tx.send(() =>
      simulateResourceMarketplaceUpdateResourceTerms(wagmiConfig, {
        args: [resourceId, checked.value],
        account: address,
      }),
    );
    if (receipt) onDone();
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label={`Edit terms of resource #${resourceId}`}>
      <TermsFields
        form={form}
        errors={errors}
        set={(change) => setForm({ ...form, ...change })}
        tokens={tokens}
        withKind={false}
      />
      {loosened ? (
        <p role="alert" className="text-sm text-amber-300">
          This resource has {current.openBookings} open booking{current.openBookings === 1 ? "" : "s"}: a lower uptime
          target or a higher (or no) latency limit is refused until they end. Price, capacity, hours and tokens can
          change.
        </p>
      ) : null}
      <Actions submitLabel="Save terms" uploading={false} tx={tx} onCancel={onDone} />
    </form>
  );
}
