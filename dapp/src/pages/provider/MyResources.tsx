/** The provider's resources: status, bookings, and the actions that change a listing. */
import { useQuery } from "@apollo/client/react";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { Address } from "viem";
import { useAccount } from "wagmi";

import { EmptyState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import {
  simulateResourceMarketplaceDelistResource,
  simulateResourceMarketplaceSetResourcePaused,
} from "../../generated/contracts.ts";
import type { ProviderResourcesQuery as ResourcesData } from "../../generated/gql/graphql.ts";
import { formatBps, formatUsd, formatUsdE8 } from "../../lib/format.ts";
import { TxStatus, useTransaction } from "../../lib/tx.tsx";
import { wagmiConfig } from "../../wagmi.ts";
import { EditMetadataForm, EditTermsForm } from "./ListingEditors.tsx";
import { RESOURCE_KINDS, SUBGRAPH_KINDS, termsForm } from "./listing.ts";
import { ProviderResourcesQuery } from "./queries.ts";
import { paymentToken } from "../../lib/tokens.ts";

type Resource = ResourcesData["resources"][number];

const METADATA_POLL_MS = 3_000;

const STATUS_TONE: Record<string, string> = {
  LISTED: "bg-emerald-900/60 text-emerald-200",
  PAUSED: "bg-amber-900/60 text-amber-200",
  DELISTED: "bg-slate-800 text-slate-400",
};

export function StatusBadge({ status, tones = STATUS_TONE }: { status: string; tones?: Record<string, string> }) {
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${tones[status] ?? "bg-slate-800 text-slate-300"}`}>
      {status.toLowerCase()}
    </span>
  );
}

function kindName(kind: string): string {
  const index = SUBGRAPH_KINDS.indexOf(kind as (typeof SUBGRAPH_KINDS)[number]);
  return index >= 0 ? RESOURCE_KINDS[index]! : kind.toLowerCase().replace(/_/g, " ");
}

/** The forms a listed resource can open, one at a time. */
const EDITORS = ["terms", "metadata"] as const;

function ResourceCard({ resource }: { resource: Resource }) {
  const { address } = useAccount();
  const id = BigInt(resource.id);
  const [editing, setEditing] = useState<(typeof EDITORS)[number]>();
  const [confirmingDelist, setConfirmingDelist] = useState(false);
  const pauseTx = useTransaction(resource.status === "PAUSED" ? `Resume resource #${id}` : `Pause resource #${id}`);
  const delistTx = useTransaction(`Delist resource #${id}`);
  const busy = pauseTx.busy || delistTx.busy;
  const delisted = resource.status === "DELISTED";
  const name = resource.metadata?.status === "VALID" && resource.metadata.name ? resource.metadata.name : undefined;

  const togglePause = () =>
    address &&
    pauseTx.send(() =>
      simulateResourceMarketplaceSetResourcePaused(wagmiConfig, {
        args: [id, resource.status === "LISTED"],
        account: address,
      }),
    );
  const delist = async () => {
    if (!address) return;
    await delistTx.send(() => simulateResourceMarketplaceDelistResource(wagmiConfig, { args: [id], account: address }));
    setConfirmingDelist(false);
  };

  const terms = {
    uptimeTargetBps: resource.uptimeTargetBps,
    maxLatencyMs: Number(resource.maxLatencyMs),
    openBookings: resource.openBookings,
  };

  return (
    <li className="card space-y-3" data-resource-id={resource.id}>
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="font-medium break-words">
            <Link to={`/resources/${resource.id}`}>{name ?? `Resource #${resource.id}`}</Link>
          </h3>
          <p className="text-sm text-slate-400">
            #{resource.id} · {kindName(resource.kind)} · {resource.region}
            {resource.metadata === null || resource.metadata === undefined
              ? " · metadata not indexed yet"
              : resource.metadata.status === "INVALID"
                ? ` · metadata invalid: ${resource.metadata.error ?? "unknown error"}`
                : ""}
          </p>
        </div>
        <StatusBadge status={resource.status} />
      </div>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-slate-400">Price / hour</dt>
          <dd>{formatUsdE8(BigInt(resource.pricePerHourUsdE8))}</dd>
        </div>
        <div>
          <dt className="text-slate-400">Open / capacity</dt>
          <dd>
            {resource.openBookings} / {resource.capacity}
          </dd>
        </div>
        <div>
          <dt className="text-slate-400">Bookings</dt>
          <dd>
            {resource.bookingCount} · {formatUsd(resource.volumeUsd)}
          </dd>
        </div>
        <div>
          <dt className="text-slate-400">SLA</dt>
          <dd>
            {formatBps(resource.uptimeTargetBps)}
            {terms.maxLatencyMs ? ` · p95 ≤ ${terms.maxLatencyMs} ms` : ""}
          </dd>
        </div>
        <div className="col-span-2 sm:col-span-4">
          <dt className="sr-only">Hours and tokens</dt>
          <dd className="text-slate-400">
            {resource.minHours}–{resource.maxHours} h · pays in{" "}
            {resource.acceptedTokens.map((token) => paymentToken(token).symbol).join(", ")}
          </dd>
        </div>
      </dl>
      {delisted ? null : (
        <div className="flex flex-wrap items-center gap-2">
          {EDITORS.map((editor) => (
            <button
              key={editor}
              type="button"
              className="btn btn-secondary"
              aria-expanded={editing === editor}
              onClick={() => setEditing(editing === editor ? undefined : editor)}
            >
              Edit {editor}
            </button>
          ))}
          <button type="button" className="btn btn-secondary" disabled={busy} onClick={togglePause}>
            {resource.status === "PAUSED" ? "Resume bookings" : "Pause bookings"}
          </button>
          {confirmingDelist ? (
            <span role="group" aria-label="Confirm delisting" className="flex flex-wrap items-center gap-2">
              <span className="text-sm text-rose-200">Delist for good? Open bookings run on.</span>
              <button type="button" className="btn btn-danger" disabled={busy} onClick={delist}>
                Yes, delist
              </button>
              <button type="button" className="btn btn-secondary" onClick={() => setConfirmingDelist(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => setConfirmingDelist(true)}>
              Delist
            </button>
          )}
        </div>
      )}
      <TxStatus state={pauseTx.state} />
      <TxStatus state={delistTx.state} />
      {editing === "terms" ? (
        <EditTermsForm
          resourceId={id}
          current={terms}
          initial={termsForm({
            kind: SUBGRAPH_KINDS.indexOf(resource.kind as (typeof SUBGRAPH_KINDS)[number]),
            pricePerHourUsdE8: BigInt(resource.pricePerHourUsdE8),
            capacity: resource.capacity,
            minHours: resource.minHours,
            maxHours: resource.maxHours,
            uptimeTargetBps: resource.uptimeTargetBps,
            maxLatencyMs: terms.maxLatencyMs,
            acceptedTokens: resource.acceptedTokens.map((token) => token.id as Address),
          })}
          onDone={() => setEditing(undefined)}
        />
      ) : null}
      {editing === "metadata" ? (
        <EditMetadataForm resourceId={id} metadataCid={resource.metadataCid} onDone={() => setEditing(undefined)} />
      ) : null}
    </li>
  );
}

export function MyResources({ provider }: { provider: Address }) {
  const { data, loading, error, refetch, startPolling, stopPolling } = useQuery(ProviderResourcesQuery, {
    variables: { provider: provider.toLowerCase() },
  });
  // The subgraph reads a new metadata document from IPFS after indexing the listing: poll until it has.
  const awaitingMetadata = data?.resources.some((resource) => !resource.metadata) ?? false;
  useEffect(() => {
    if (!awaitingMetadata) return;
    startPolling(METADATA_POLL_MS);
    return () => stopPolling();
  }, [awaitingMetadata, startPolling, stopPolling]);
  if (error && !data) return <SubgraphError error={error} retry={() => refetch()} />;
  if (loading && !data) return <LoadingCards count={2} />;
  const resources = data?.resources ?? [];
  if (resources.length === 0) {
    return (
      <EmptyState title="You have not listed a resource yet.">Use “List a resource” to publish your first.</EmptyState>
    );
  }
  return (
    <ul className="space-y-4" aria-label="My resources">
      {resources.map((resource) => (
        <ResourceCard key={resource.id} resource={resource} />
      ))}
    </ul>
  );
}
