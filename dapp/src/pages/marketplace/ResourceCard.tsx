import { Link } from "react-router";

import { ProviderName } from "../../components/ProviderName.tsx";
import { graphql } from "../../generated/gql/index.ts";
import type { ResourceCardFieldsFragment } from "../../generated/gql/graphql.ts";
import { cloudName, formatUsd, storageApiName } from "../../lib/format.ts";
import { RecordSummary } from "../resource/ProviderRecord.tsx";
import { KIND_LABELS, isVerified } from "./filters.ts";

export const ResourceCardFields = graphql(`
  fragment ResourceCardFields on Resource {
    id
    kind
    region
    status
    pricePerHourUsd
    verifiedUntil
    verificationRevoked
    provider {
      ...ProviderRecordFields
      ...ProviderNameFields
    }
    metadata {
      status
      name
      cloud
      service
      vcpu
      memoryGib
      gpuModel
      gpuCount
      storageApi
      capacityGib
    }
  }
`);

export type ResourceCardData = ResourceCardFieldsFragment;

function specs(metadata: NonNullable<ResourceCardData["metadata"]>): string[] {
  if (metadata.service === "object-storage") {
    return [`${metadata.capacityGib} GiB`, `${storageApiName(metadata.storageApi ?? "")} API`];
  }
  const parts = [`${metadata.vcpu} vCPU`, `${Number(metadata.memoryGib)} GiB`];
  if (metadata.gpuModel) parts.push(`${metadata.gpuCount ?? 1}× ${metadata.gpuModel}`);
  return parts;
}

/** One resource in a list: what a consumer compares before opening it. Metadata is untrusted: text only. */
export function ResourceCard({ resource, now }: { resource: ResourceCardData; now: number }) {
  const metadata = resource.metadata?.status === "VALID" ? resource.metadata : null;
  const name = metadata?.name ?? `Resource #${resource.id}`;
  return (
    <li className="card flex flex-col gap-3" data-testid="resource-card">
      <div className="flex items-start justify-between gap-2">
        <h2 className="text-lg leading-snug font-semibold break-words">
          <Link to={`/resources/${resource.id}`} className="text-slate-100 hover:text-sky-300">
            {name}
          </Link>
        </h2>
        {isVerified(resource, now) ? (
          <span className="shrink-0 rounded-full bg-emerald-900/60 px-2 py-0.5 text-xs text-emerald-200">
            ✓ Verified
          </span>
        ) : null}
      </div>
      <p className="text-sm text-slate-400">
        {KIND_LABELS[resource.kind]} · {metadata?.cloud ? `${cloudName(metadata.cloud)} · ` : ""}
        {resource.region}
        {resource.status !== "LISTED" ? ` · ${resource.status.toLowerCase()}` : ""}
      </p>
      <p className="text-sm text-slate-400">
        by <ProviderName provider={resource.provider} className="text-slate-200" />
      </p>
      {metadata ? (
        <ul className="flex flex-wrap gap-1.5 text-xs" aria-label="Specifications">
          {specs(metadata).map((spec) => (
            <li key={spec} className="rounded bg-slate-800 px-2 py-0.5 break-all text-slate-200">
              {spec}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-xs text-amber-300">No valid metadata</p>
      )}
      <div className="mt-auto flex items-end justify-between gap-2 pt-1">
        <p className="whitespace-nowrap">
          <span className="text-xl font-semibold">{formatUsd(resource.pricePerHourUsd)}</span>
          <span className="text-sm text-slate-400"> / hour</span>
        </p>
        <RecordSummary provider={resource.provider} />
      </div>
    </li>
  );
}
