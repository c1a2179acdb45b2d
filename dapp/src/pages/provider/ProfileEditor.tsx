/** Registers the connected account as a provider, or replaces its profile document. */
import { useState } from "react";
import { useAccount } from "wagmi";

import {
  simulateResourceMarketplaceRegisterProvider,
  simulateResourceMarketplaceUpdateProviderProfile,
} from "../../generated/contracts.ts";
import { useProviderProfile } from "../../lib/ipfs.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { Field, FormError } from "../../components/Field.tsx";
import { type ProfileErrors, type ProfileForm, checkProfile, emptyProfileForm, profileForm } from "./profile.ts";
import { useUpload } from "./useUpload.ts";

export function ProfileEditor({ profileCid, onDone }: { profileCid?: string | null; onDone?: () => void }) {
  const { address } = useAccount();
  const registering = !profileCid;
  const tx = useTransaction(registering ? "Register as provider" : "Update provider profile");
  const [form, setForm] = useState<ProfileForm>(emptyProfileForm);
  const [errors, setErrors] = useState<ProfileErrors>({});
  const { uploading, formError, setFormError, upload } = useUpload();

  // Start from the published profile when editing (once it arrives); a profile that fails the
  // schema starts empty.
  const published = useProviderProfile(profileCid).data;
  const [loaded, setLoaded] = useState<typeof published>();
  if (published && published !== loaded) {
    setLoaded(published);
    if (published.ok) setForm(profileForm(published.value));
    else setFormError(`The current profile could not be loaded (${published.errors[0]}); publish a new one.`);
  }

  const set = (key: keyof ProfileForm) => (event: { target: { value: string } }) =>
    setForm((current) => ({ ...current, [key]: event.target.value }));

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const checked = checkProfile(form);
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok || !address) return;
    const cid = await upload(checked.value);
    if (!cid) return;
    const receipt = await tx.send(() =>
      registering
        ? simulateResourceMarketplaceRegisterProvider(wagmiConfig, { args: [cid], account: address })
        : simulateResourceMarketplaceUpdateProviderProfile(wagmiConfig, { args: [cid], account: address }),
    );
    if (receipt) onDone?.();
  };

  const busy = uploading || tx.busy;
  return (
    <form onSubmit={submit} noValidate className="card space-y-4" aria-labelledby="profile-title">
      <div>
        <h2 id="profile-title" className="text-lg font-semibold">
          {registering ? "Register as a provider" : "Edit your provider profile"}
        </h2>
        <p className="text-sm text-slate-400">
          Your profile is published on IPFS and linked from every resource you list. Consumers see it as plain text.
        </p>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Display name" error={errors.displayName}>
          {(props) => (
            <input {...props} className="field" value={form.displayName} onChange={set("displayName")} maxLength={64} />
          )}
        </Field>
        <Field label="Website (optional)" error={errors.website} hint="https://…">
          {(props) => <input {...props} className="field" type="url" value={form.website} onChange={set("website")} />}
        </Field>
        <Field label="Contact (optional)" error={errors.contact} hint="An e-mail address or an https:// URL">
          {(props) => <input {...props} className="field" value={form.contact} onChange={set("contact")} />}
        </Field>
        <Field label="Logo CID (optional)" error={errors.logo} hint="The IPFS CID of an image">
          {(props) => <input {...props} className="field font-mono" value={form.logo} onChange={set("logo")} />}
        </Field>
        <Field label="Description (optional)" error={errors.description} className="sm:col-span-2">
          {(props) => (
            <textarea
              {...props}
              className="field"
              rows={3}
              value={form.description}
              onChange={set("description")}
              maxLength={2000}
            />
          )}
        </Field>
      </div>
      <FormError message={formError} />
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className="btn" disabled={busy}>
          {uploading ? "Publishing to IPFS…" : registering ? "Register" : "Save profile"}
        </button>
        {onDone && !registering ? (
          <button type="button" className="btn btn-secondary" onClick={onDone} disabled={busy}>
            Cancel
          </button>
        ) : null}
        <TxStatus state={tx.state} />
      </div>
    </form>
  );
}
