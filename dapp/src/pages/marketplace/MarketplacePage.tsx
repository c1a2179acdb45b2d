import { useQuery } from "@apollo/client/react";
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router";

import { Page } from "../../components/Layout.tsx";
import { EmptyState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import { graphql } from "../../generated/gql/index.ts";
import { cloudName } from "../../lib/format.ts";
import { useNow } from "../../lib/useNow.ts";
import { RANKING_SCORE_EXPLAINED } from "../resource/ProviderRecord.tsx";
import { ResourceCard } from "./ResourceCard.tsx";
import {
  CLOUDS,
  DEFAULT_FILTERS,
  KIND_LABELS,
  type MarketFilters,
  PAGE_SIZE,
  SORTS,
  type SortKey,
  filtersToParams,
  isDefault,
  parseFilters,
  toVariables,
} from "./filters.ts";

const MarketplaceQuery = graphql(`
  query Marketplace(
    $where: Resource_filter!
    $orderBy: Resource_orderBy!
    $orderDirection: OrderDirection!
    $first: Int!
    $skip: Int!
  ) {
    resources(where: $where, orderBy: $orderBy, orderDirection: $orderDirection, first: $first, skip: $skip) {
      ...ResourceCardFields
    }
  }
`);

type FieldProps = { id: keyof MarketFilters; label: string; error?: string; hint?: string };

function TextField({
  id,
  label,
  error,
  hint,
  value,
  onChange,
  inputMode,
}: FieldProps & { value: string; onChange: (value: string) => void; inputMode?: "decimal" | "numeric" }) {
  return (
    <div>
      <label className="label" htmlFor={`filter-${id}`}>
        {label}
      </label>
      <input
        id={`filter-${id}`}
        className="field"
        value={value}
        inputMode={inputMode}
        placeholder={hint}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `filter-${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {error ? (
        <p id={`filter-${id}-error`} className="mt-1 text-xs text-rose-300">
          Enter {error}.
        </p>
      ) : null}
    </div>
  );
}

/** Text filters apply on submit; choices (selects, checkboxes) apply at once. */
function FilterForm({
  applied,
  errors,
  apply,
}: {
  applied: MarketFilters;
  errors: Partial<Record<keyof MarketFilters, string>>;
  apply: (filters: MarketFilters) => void;
}) {
  const [draft, setDraft] = useState(applied);
  const set = (field: keyof MarketFilters) => (value: string) => setDraft((old) => ({ ...old, [field]: value }));
  const choose = (changes: Partial<MarketFilters>) => {
    const next = { ...draft, ...changes, page: 0 };
    setDraft(next);
    apply(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply({ ...draft, page: 0 });
  };
  const text = (id: keyof MarketFilters & keyof typeof draft, label: string, extra: Partial<FieldProps> = {}) => (
    <TextField
      id={id}
      label={label}
      error={errors[id]}
      value={String(draft[id])}
      onChange={set(id)}
      inputMode={id === "q" || id === "region" || id === "gpuModel" ? undefined : "decimal"}
      {...extra}
    />
  );
  return (
    <form onSubmit={submit} aria-label="Filters" className="space-y-3">
      {text("q", "Search name or description", { hint: "e.g. A100" })}
      <div>
        <label className="label" htmlFor="filter-kind">
          Kind
        </label>
        <select
          id="filter-kind"
          className="field"
          value={draft.kind}
          onChange={(event) => choose({ kind: event.target.value as MarketFilters["kind"] })}
        >
          <option value="">Any</option>
          {Object.entries(KIND_LABELS).map(([kind, label]) => (
            <option key={kind} value={kind}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label className="label" htmlFor="filter-cloud">
          Cloud
        </label>
        <select
          id="filter-cloud"
          className="field"
          value={draft.cloud}
          onChange={(event) => choose({ cloud: event.target.value })}
        >
          <option value="">Any</option>
          {CLOUDS.map((cloud) => (
            <option key={cloud} value={cloud}>
              {cloudName(cloud)}
            </option>
          ))}
        </select>
      </div>
      {text("region", "Region", { hint: "e.g. eu-west" })}
      <div className="grid grid-cols-2 gap-2">
        {text("minVcpu", "Min vCPU")}
        {text("minMemoryGib", "Min memory (GiB)")}
        {text("gpuModel", "GPU model", { hint: "e.g. A10G" })}
        {text("minGpuCount", "Min GPUs")}
        {text("minPriceUsd", "Min $/hour")}
        {text("maxPriceUsd", "Max $/hour")}
        {text("minUptimePct", "Min SLA uptime %")}
        {text("minReputationPct", "Min ranking score %")}
      </div>
      <p className="text-xs text-slate-400">{RANKING_SCORE_EXPLAINED}</p>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={draft.verified}
          onChange={(event) => choose({ verified: event.target.checked })}
        />
        Verified only
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={draft.all} onChange={(event) => choose({ all: event.target.checked })} />
        Include paused and unchecked listings
      </label>
      <div className="flex gap-2">
        <button type="submit" className="btn flex-1">
          Apply
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => choose(DEFAULT_FILTERS)}>
          Reset
        </button>
      </div>
    </form>
  );
}

export default function MarketplacePage() {
  const [params, setParams] = useSearchParams();
  const filters = parseFilters(params);
  // A minute's resolution keeps the query (and its cache key) stable while "verified" stays exact enough.
  const now = Math.floor(useNow(60_000) / 60) * 60;
  const { variables, errors } = toVariables(filters, now);
  const { data, loading, error, refetch } = useQuery(MarketplaceQuery, { variables });
  const apply = (next: MarketFilters) => setParams(filtersToParams(next));
  const resources = data?.resources ?? [];
  const shown = resources.slice(0, PAGE_SIZE);
  const hasNext = resources.length > PAGE_SIZE;
  const search = params.toString();

  let results;
  if (error && !data) results = <SubgraphError error={error} retry={() => void refetch()} />;
  else if (loading && !data) results = <LoadingCards />;
  else if (shown.length === 0 && filters.page > 0) {
    results = (
      <EmptyState title={`Page ${filters.page + 1} is past the last listing.`}>
        <button type="button" className="btn btn-secondary" onClick={() => apply({ ...filters, page: 0 })}>
          First page
        </button>
      </EmptyState>
    );
  } else if (shown.length === 0) {
    results = isDefault(filters) ? (
      <EmptyState title="No resources are listed yet.">Providers list resources from the provider console.</EmptyState>
    ) : (
      <EmptyState title="No resources match these filters.">
        <button type="button" className="btn btn-secondary" onClick={() => apply(DEFAULT_FILTERS)}>
          Reset filters
        </button>
      </EmptyState>
    );
  } else {
    results = (
      <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Resources" aria-busy={loading}>
        {shown.map((resource) => (
          <ResourceCard key={resource.id} resource={resource} now={now} />
        ))}
      </ul>
    );
  }

  return (
    <Page
      title="Marketplace"
      actions={
        <div className="flex items-center gap-2">
          <label htmlFor="sort" className="text-sm text-slate-400">
            Sort by
          </label>
          <select
            id="sort"
            className="field w-auto"
            value={filters.sort}
            onChange={(event) => apply({ ...filters, sort: event.target.value as SortKey, page: 0 })}
          >
            {Object.entries(SORTS).map(([key, sort]) => (
              <option key={key} value={key}>
                {sort.label}
              </option>
            ))}
          </select>
          {filters.sort === "reputation" ? (
            <span className="cursor-help text-sm text-slate-400" title={RANKING_SCORE_EXPLAINED}>
              ⓘ<span className="sr-only">{RANKING_SCORE_EXPLAINED}</span>
            </span>
          ) : null}
        </div>
      }
    >
      <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
        <aside className="card h-fit">
          <details open={typeof window === "undefined" || window.innerWidth >= 1024} className="group">
            <summary className="cursor-pointer font-medium">Filters</summary>
            <div className="mt-3">
              {/* Remounts when the URL changes (back button, reset) so the inputs show what is applied. */}
              <FilterForm key={search} applied={filters} errors={errors} apply={apply} />
            </div>
          </details>
        </aside>
        <div className="space-y-4">
          {results}
          {filters.page > 0 || hasNext ? (
            <nav aria-label="Pages" className="flex items-center justify-between gap-2">
              <button
                type="button"
                className="btn btn-secondary"
                disabled={filters.page === 0}
                onClick={() => apply({ ...filters, page: filters.page - 1 })}
              >
                Previous
              </button>
              <span className="text-sm text-slate-400">Page {filters.page + 1}</span>
              <button
                type="button"
                className="btn btn-secondary"
                disabled={!hasNext}
                onClick={() => apply({ ...filters, page: filters.page + 1 })}
              >
                Next
              </button>
            </nav>
          ) : null}
        </div>
      </div>
    </Page>
  );
}
