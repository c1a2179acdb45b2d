/** The fields of a listing: what the metadata document says, and the on-chain terms. */
import { CLOUDS, OBJECT_STORAGE_APIS, REDUNDANCIES, STORAGE_TYPES } from "@d-cloudx/sdk/metadata";
import type { Address } from "viem";

import { Field } from "../../components/Field.tsx";
import { cloudName, storageApiName } from "../../lib/format.ts";
import { type FieldErrors, type MetadataForm, RESOURCE_KINDS, type TermsForm } from "./listing.ts";
import type { PaymentToken } from "../../lib/tokens.ts";

type Setter<T> = (change: Partial<T>) => void;
const text =
  <T,>(set: Setter<T>, key: keyof T) =>
  (event: { target: { value: string } }) =>
    set({ [key]: event.target.value } as Partial<T>);

export function MetadataFields({
  form,
  errors,
  set,
}: {
  form: MetadataForm;
  errors: FieldErrors;
  set: Setter<MetadataForm>;
}) {
  const input = (key: keyof MetadataForm, label: string, hint?: string, props: Record<string, unknown> = {}) => (
    <Field label={label} error={errors[key]} hint={hint}>
      {(aria) => <input {...aria} {...props} className="field" value={String(form[key])} onChange={text(set, key)} />}
    </Field>
  );
  const select = (key: keyof MetadataForm, label: string, options: readonly (readonly [string, string])[]) => (
    <Field label={label} error={errors[key]}>
      {(aria) => (
        <select {...aria} className="field" value={String(form[key])} onChange={text(set, key)}>
          {options.map(([value, name]) => (
            <option key={value} value={value}>
              {name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const storage = form.service === "object-storage";
  return (
    <fieldset className="space-y-4">
      <legend className="mb-2 font-medium">Resource</legend>
      <div className="grid gap-4 sm:grid-cols-2">
        {select("service", "Service", [
          ["compute", "A machine"],
          ["object-storage", "Object storage (a bucket per booking)"],
        ])}
        {input("name", "Name", undefined, { maxLength: 80 })}
        <Field label="Cloud" error={errors.cloud}>
          {(aria) => (
            <select {...aria} className="field" value={form.cloud} onChange={text(set, "cloud")}>
              {CLOUDS.map((cloud) => (
                <option key={cloud} value={cloud}>
                  {cloudName(cloud)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Description (optional)" error={errors.description} className="sm:col-span-2">
          {(aria) => (
            <textarea
              {...aria}
              className="field"
              rows={3}
              maxLength={2000}
              value={form.description}
              onChange={text(set, "description")}
            />
          )}
        </Field>
        {input("region", "Region", 'The cloud\'s region name, e.g. "us-east-1", or a place such as "de-berlin"')}
        {storage ? (
          <>
            {select(
              "storageApi",
              "API",
              OBJECT_STORAGE_APIS.map((api) => [api, storageApiName(api)] as const),
            )}
            {input("storageClass", "Storage class", 'The cloud\'s class or SKU, e.g. "STANDARD" or "Standard_ZRS"')}
            {select(
              "redundancy",
              "Redundancy",
              REDUNDANCIES.map((r) => [r, r.replace("-", " ")] as const),
            )}
            {input("capacityGib", "Capacity (GiB)", "What a booking may store", { inputMode: "numeric" })}
            {input("includedEgressGib", "Included egress (GiB)", "Downloads included in the price", {
              inputMode: "decimal",
            })}
            {input("tags", "Tags (optional)", "Lowercase words with dashes, separated by commas: backup, eu")}
          </>
        ) : null}
      </div>
      {storage ? null : <ComputeFields form={form} errors={errors} set={set} input={input} />}
    </fieldset>
  );
}

function ComputeFields({
  form,
  errors,
  set,
  input,
}: {
  form: MetadataForm;
  errors: FieldErrors;
  set: Setter<MetadataForm>;
  input: (key: keyof MetadataForm, label: string, hint?: string, props?: Record<string, unknown>) => React.ReactNode;
}) {
  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        {input("instanceType", "Instance type", 'e.g. "g5.xlarge" or "Standard_D4s_v5"')}
        {input("vcpu", "vCPUs", undefined, { inputMode: "numeric" })}
        {input("memoryGib", "Memory (GiB)", undefined, { inputMode: "decimal" })}
        {input("storageSizeGib", "Storage (GiB)", undefined, { inputMode: "numeric" })}
        <Field label="Storage type" error={errors.storageType}>
          {(aria) => (
            <select {...aria} className="field" value={form.storageType} onChange={text(set, "storageType")}>
              {STORAGE_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type === "hdd" ? "HDD" : type === "network" ? "Network-attached" : type.toUpperCase()}
                </option>
              ))}
            </select>
          )}
        </Field>
        {input("bandwidthGbps", "Network bandwidth (Gbit/s)", undefined, { inputMode: "decimal" })}
        <Field label="OS images" error={errors.osImages} hint="One per line, e.g. ubuntu-24.04">
          {(aria) => (
            <textarea {...aria} className="field" rows={2} value={form.osImages} onChange={text(set, "osImages")} />
          )}
        </Field>
        {input("tags", "Tags (optional)", "Lowercase words with dashes, separated by commas: gpu, ml-inference")}
      </div>
      <div className="space-y-3">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={form.hasGpu} onChange={(event) => set({ hasGpu: event.target.checked })} />
          This resource has GPUs
        </label>
        {form.hasGpu ? (
          <div className="grid gap-4 sm:grid-cols-3">
            {input("gpuModel", "GPU model", 'e.g. "NVIDIA A10G"')}
            {input("gpuCount", "GPU count", undefined, { inputMode: "numeric" })}
            {input("gpuMemoryGib", "Memory per GPU (GiB, optional)", undefined, { inputMode: "decimal" })}
          </div>
        ) : null}
      </div>
    </>
  );
}

export function TermsFields({
  form,
  errors,
  set,
  tokens,
  withKind,
}: {
  form: TermsForm;
  errors: FieldErrors;
  set: Setter<TermsForm>;
  /** The payment tokens a listing may accept. */
  tokens: readonly PaymentToken[];
  /** The kind is fixed once listed. */
  withKind: boolean;
}) {
  const input = (key: keyof TermsForm, label: string, hint?: string, inputMode = "numeric") => (
    <Field label={label} error={errors[key]} hint={hint}>
      {(aria) => (
        <input
          {...aria}
          className="field"
          inputMode={inputMode as "numeric"}
          value={String(form[key])}
          onChange={text(set, key)}
        />
      )}
    </Field>
  );
  const toggleToken = (token: Address, on: boolean) =>
    set({
      acceptedTokens: on
        ? [...form.acceptedTokens, token]
        : form.acceptedTokens.filter((item) => item.toLowerCase() !== token.toLowerCase()),
    });
  return (
    <fieldset className="space-y-4">
      <legend className="mb-2 font-medium">Terms (on chain)</legend>
      <div className="grid gap-4 sm:grid-cols-3">
        {withKind ? (
          <Field label="Kind" error={errors.kind}>
            {(aria) => (
              <select {...aria} className="field" value={form.kind} onChange={text(set, "kind")}>
                {RESOURCE_KINDS.map((kind, index) => (
                  <option key={kind} value={index}>
                    {kind}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {input(
          "pricePerHourUsd",
          "Price per hour (USD)",
          "Charged in the consumer's token at the oracle price",
          "decimal",
        )}
        {input("capacity", "Capacity", "Bookings served at once")}
        {input("minHours", "Minimum hours")}
        {input("maxHours", "Maximum hours")}
        {input(
          "uptimeTargetPercent",
          "Uptime target (%)",
          "Per SLA period; below it, consumers are credited",
          "decimal",
        )}
        {input("maxLatencyMs", "Max p95 latency (ms)", "Empty: no latency limit")}
      </div>
      <fieldset aria-describedby={errors.acceptedTokens ? "accepted-tokens-error" : undefined}>
        <legend className="label">Accepted payment tokens</legend>
        <div className="flex flex-wrap gap-4">
          {tokens.map((token) => (
            <label key={token.address} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={form.acceptedTokens.some((item) => item.toLowerCase() === token.address.toLowerCase())}
                onChange={(event) => toggleToken(token.address, event.target.checked)}
              />
              {token.symbol}
            </label>
          ))}
        </div>
        {errors.acceptedTokens ? (
          <p id="accepted-tokens-error" className="mt-1 text-sm text-rose-300" data-field-error>
            {errors.acceptedTokens}
          </p>
        ) : null}
      </fieldset>
    </fieldset>
  );
}
