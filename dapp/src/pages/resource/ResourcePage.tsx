/**
 * A resource: its specifications (the metadata document from IPFS), SLA terms, provider record,
 * price and the booking form. Everything shown comes from the subgraph, the document from IPFS
 * (see lib/sources.ts); the chain is read for the live price quote and when the consumer signs.
 */
import { useQuery } from "@apollo/client/react";
import { type ResourceMetadata, isObjectStorage } from "@d-cloudx/sdk/metadata";
import { Link, useParams } from "react-router";

import { Address as ShownAddress } from "../../components/Address.tsx";
import { Page } from "../../components/Layout.tsx";
import { ProviderName, providerName } from "../../components/ProviderName.tsx";
import { EmptyState, ErrorState, LoadingCards, Skeleton, SubgraphError } from "../../components/States.tsx";
import { useReadPriceOracleQuote } from "../../generated/contracts.ts";
import { graphql } from "../../generated/gql/index.ts";
import { cloudName, formatBps, formatDuration, formatToken, formatUsd, storageApiName } from "../../lib/format.ts";
import { useResourceMetadata } from "../../lib/ipfs.ts";
import { type PaymentToken, paymentToken } from "../../lib/tokens.ts";
import { useNow } from "../../lib/useNow.ts";
import { KIND_LABELS, isVerified } from "../marketplace/filters.ts";
import { BookingForm } from "./BookingForm.tsx";
import { Facts, ProviderRecord } from "./ProviderRecord.tsx";

const ResourcePageQuery = graphql(`
  query ResourcePage($id: ID!) {
    resource(id: $id) {
      ...ResourceCardFields
      metadataCid
      pricePerHourUsdE8
      capacity
      openBookings
      minHours
      maxHours
      uptimeTargetBps
      maxLatencyMs
      bookingCount
      listedAt
      acceptedTokens {
        ...PaymentTokenFields
      }
      provider {
        ...ProviderRecordFields
        ...ProviderNameFields
      }
    }
    protocol(id: "protocol") {
      paused
      slaPeriodSeconds
      provisionTimeoutSeconds
      baseCreditBps
      creditTierUptimeBelowBps
      creditTierCreditBps
    }
  }
`);

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="card space-y-3" aria-label={title}>
      <h2 className="text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function Specs({ metadata }: { metadata: ResourceMetadata }) {
  const rows: [string, React.ReactNode][] = [
    ["Cloud", cloudName(metadata.cloud)],
    ["Region", metadata.region],
  ];
  if (isObjectStorage(metadata)) {
    rows.push(
      ["Service", `Object storage, ${storageApiName(metadata.api)} API`],
      ["Storage class", metadata.storageClass],
      ["Redundancy", metadata.redundancy.replace("-", " ")],
      ["Capacity", `${metadata.capacityGib} GiB`],
      ["Included egress", `${metadata.includedEgressGib} GiB`],
    );
    if (metadata.tags?.length) rows.push(["Tags", metadata.tags.join(", ")]);
    return <SpecsList description={metadata.description} rows={rows} />;
  }
  rows.push(["Instance type", metadata.instanceType], ["vCPU", metadata.vcpu], ["Memory", `${metadata.memoryGib} GiB`]);
  if (metadata.gpu) {
    rows.push([
      "GPU",
      `${metadata.gpu.count}× ${metadata.gpu.model}${metadata.gpu.memoryGib ? ` (${metadata.gpu.memoryGib} GiB each)` : ""}`,
    ]);
  }
  rows.push(
    ["Storage", `${metadata.storage.sizeGib} GiB ${metadata.storage.type}`],
    ["Network", `${metadata.network.bandwidthGbps} Gbit/s`],
    ["OS images", metadata.osImages.join(", ")],
  );
  if (metadata.tags?.length) rows.push(["Tags", metadata.tags.join(", ")]);
  return <SpecsList description={metadata.description} rows={rows} />;
}

function SpecsList({ description, rows }: { description?: string; rows: [string, React.ReactNode][] }) {
  return (
    <>
      {description ? <p className="text-sm whitespace-pre-line text-slate-300">{description}</p> : null}
      <Facts rows={rows} />
    </>
  );
}

function TokenPrice({ token, usdE8 }: { token: PaymentToken; usdE8: bigint }) {
  const { data, error, isLoading } = useReadPriceOracleQuote({ args: [token.address, usdE8] });
  return (
    <li className="flex justify-between gap-2">
      <span className="text-slate-400">{token.symbol}</span>
      <span>
        {isLoading ? (
          <Skeleton className="h-4 w-24" />
        ) : error ? (
          <span className="text-amber-300">price unavailable</span>
        ) : data ? (
          formatToken(data[0], token.decimals, token.symbol)
        ) : null}
      </span>
    </li>
  );
}

/** The SLA credit policy, as the subgraph last saw SLAEnforcement set it. */
function CreditPolicy({
  baseCreditBps,
  uptimeBelowBps,
  creditBps,
}: {
  baseCreditBps?: number | null;
  uptimeBelowBps?: readonly number[] | null;
  creditBps?: readonly number[] | null;
}) {
  if (baseCreditBps == null) return null;
  return (
    <div className="text-sm">
      <p>
        A period that misses the SLA earns a credit of {formatBps(baseCreditBps)} of its value
        {uptimeBelowBps?.length ? "; lower uptime earns more:" : "."}
      </p>
      {uptimeBelowBps?.length ? (
        <ul className="mt-1 list-disc pl-5">
          {uptimeBelowBps.map((below, index) => (
            <li key={below}>
              uptime below {formatBps(below)}: {formatBps(creditBps?.[index] ?? 0)} credit
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export default function ResourcePage() {
  const { id = "" } = useParams();
  const validId = /^[1-9]\d{0,9}$/.test(id);
  const now = useNow(60_000);
  const { data, loading, error, refetch } = useQuery(ResourcePageQuery, { variables: { id }, skip: !validId });
  const resource = data?.resource;
  const metadata = useResourceMetadata(resource?.metadataCid);

  if (!validId) return <ErrorState title={`"${id.slice(0, 40)}" is not a resource id.`} />;
  if (error && !data) return <SubgraphError error={error} retry={() => void refetch()} />;
  if (loading && !data) return <LoadingCards count={3} />;
  if (!resource) {
    return (
      <EmptyState title={`Resource #${id} does not exist (or is not indexed yet).`}>
        <Link to="/">Back to the marketplace</Link>
      </EmptyState>
    );
  }

  const parsed = metadata.data;
  const name = parsed?.ok ? parsed.value.name : `Resource #${resource.id}`;
  const accepted = resource.acceptedTokens.map(paymentToken).filter((token) => token.enabled);
  const protocol = data.protocol;

  return (
    <Page title={name}>
      <p className="-mt-4 flex flex-wrap items-center gap-2 text-sm text-slate-400">
        <span>
          #{resource.id} · {KIND_LABELS[resource.kind]} · {resource.region} · {resource.status.toLowerCase()}
        </span>
        {isVerified(resource, now) ? (
          <span className="rounded-full bg-emerald-900/60 px-2 py-0.5 text-xs text-emerald-200">✓ Verified</span>
        ) : null}
      </p>
      <div className="grid gap-6 lg:grid-cols-[1fr_24rem]">
        <div className="min-w-0 space-y-6">
          <Section title="Specifications">
            {metadata.isLoading ? (
              <Skeleton className="h-24 w-full" />
            ) : !parsed ? (
              <ErrorState title="The metadata could not be read from IPFS." error={metadata.error} />
            ) : parsed.ok ? (
              <Specs metadata={parsed.value} />
            ) : (
              <div role="alert" className="text-sm text-amber-200">
                <p>This resource's metadata document is not valid, so its specifications cannot be trusted:</p>
                <ul className="mt-1 list-disc pl-5 break-words">
                  {parsed.errors.slice(0, 10).map((problem) => (
                    <li key={problem}>{problem}</li>
                  ))}
                </ul>
              </div>
            )}
            <p className="text-xs break-all text-slate-500">Metadata CID {resource.metadataCid}</p>
          </Section>
          <Section title="SLA terms">
            <Facts
              rows={[
                ["Uptime target", formatBps(resource.uptimeTargetBps)],
                ["Max p95 latency", resource.maxLatencyMs === "0" ? "no limit" : `${resource.maxLatencyMs} ms`],
                ["Period length", protocol?.slaPeriodSeconds ? formatDuration(BigInt(protocol.slaPeriodSeconds)) : "–"],
                ["Bookable", `${resource.minHours}–${resource.maxHours} hours`],
                ["Capacity", `${resource.openBookings} of ${resource.capacity} in use`],
              ]}
            />
            <CreditPolicy
              baseCreditBps={protocol?.baseCreditBps}
              uptimeBelowBps={protocol?.creditTierUptimeBelowBps}
              creditBps={protocol?.creditTierCreditBps}
            />
          </Section>
          <Section title="Provider">
            <p className="flex flex-wrap items-center gap-x-2 text-sm">
              <ProviderName provider={resource.provider} className="font-medium" />
              {providerName(resource.provider) ? (
                <ShownAddress address={resource.provider.id} className="text-slate-400" />
              ) : null}
            </p>
            <ProviderRecord provider={resource.provider} />
          </Section>
        </div>
        <div className="space-y-6">
          <Section title="Price">
            <p>
              <span className="text-2xl font-semibold">{formatUsd(resource.pricePerHourUsd)}</span>
              <span className="text-slate-400"> per hour</span>
            </p>
            <ul className="space-y-1 text-sm" aria-label="Price per hour in accepted tokens">
              {accepted.map((token) => (
                <TokenPrice key={token.address} token={token} usdE8={BigInt(resource.pricePerHourUsdE8)} />
              ))}
            </ul>
            <p className="text-xs text-slate-500">At the current oracle price; the total is fixed when you book.</p>
          </Section>
          <Section title="Book">
            <BookingForm
              resource={{
                id: BigInt(resource.id),
                provider: resource.provider.id,
                listed: resource.status === "LISTED",
                pricePerHourUsdE8: BigInt(resource.pricePerHourUsdE8),
                minHours: resource.minHours,
                maxHours: resource.maxHours,
                uptimeTargetBps: resource.uptimeTargetBps,
                maxLatencyMs: Number(resource.maxLatencyMs),
                full: resource.openBookings >= resource.capacity,
                tokens: accepted,
              }}
              paused={protocol?.paused ?? false}
              name={name}
              provisionTimeoutSeconds={protocol?.provisionTimeoutSeconds ?? undefined}
            />
          </Section>
        </div>
      </div>
    </Page>
  );
}
