import { useQuery } from "@apollo/client/react";
import { type ReactNode, useId, useMemo, useState } from "react";
import { Link } from "react-router";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { Page } from "../../components/Layout.tsx";
import { EmptyState, Skeleton, SubgraphError } from "../../components/States.tsx";
import type { AnalyticsQuery as AnalyticsQueryResult } from "../../generated/gql/graphql.ts";
import { graphql } from "../../generated/gql/index.ts";
import { formatBps, formatUsd } from "../../lib/format.ts";
import { useNow } from "../../lib/useNow.ts";
import {
  DAY_SECONDS,
  type DayRow,
  type ProviderRow,
  compliancePercent,
  dailySeries,
  dayOf,
  hasActivity,
  peak,
  providerRows,
  sum,
  toNumber,
} from "./series.ts";
import { RANKING_SCORE_EXPLAINED } from "../resource/ProviderRecord.tsx";

const AnalyticsQuery = graphql(`
  query Analytics($since: Int!, $top: Int!) {
    market(id: "market") {
      providerCount
      resourceCount
      activeResourceCount
      bookingCount
      openBookingCount
      volumeUsd
      slaPeriodsSettled
      slaPeriodsCompliant
      slaCreditsUsd
      feesUsd
    }
    days: marketDayStats(first: 1000, orderBy: date, orderDirection: asc, where: { date_gte: $since }) {
      ...AnalyticsDay
    }
    before: marketDayStats(first: 1, orderBy: date, orderDirection: desc, where: { date_lt: $since }) {
      ...AnalyticsDay
    }
    byVolume: providers(first: $top, orderBy: volumeUsd, orderDirection: desc, where: { volumeUsd_gt: "0" }) {
      ...AnalyticsProvider
    }
    byReputation: providers(first: $top, orderBy: scoreBps, orderDirection: desc, where: { scoreBps_gt: 0 }) {
      ...AnalyticsProvider
    }
  }

  fragment AnalyticsDay on MarketDayStat {
    date
    bookingCount
    volumeUsd
    activeResources
    slaPeriodsSettled
    slaPeriodsCompliant
  }

  fragment AnalyticsProvider on Provider {
    ...ProviderNameFields
    volumeUsd
    bookingCount
    scoreBps
  }
`);

const RANGES = [7, 30, 90] as const;
const TOP = 8;
const COLORS = { sky: "#38bdf8", emerald: "#34d399", rose: "#fb7185", amber: "#fbbf24", violet: "#a78bfa" };
const AXIS = { stroke: "#64748b", fontSize: 12 };
const TOOLTIP = {
  contentStyle: { background: "#0f172a", border: "1px solid #334155", borderRadius: 8 },
  labelStyle: { color: "#e2e8f0" },
};

const count = (value: number) => value.toLocaleString("en-US");
const leaders = (n: number) => (n === 1 ? "The provider" : `The ${n} providers`);
const usdAxis = (value: number) => `$${value.toLocaleString("en-US", { notation: "compact" })}`;

interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/**
 * A chart with its text alternatives: a caption summarising it and the same data as a table. The
 * drawing itself is hidden from assistive technology, which reads the table instead.
 */
function ChartFigure<T>({
  title,
  summary,
  rows,
  columns,
  rowKey,
  children,
}: {
  title: string;
  summary: string;
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <figure className="card min-w-0 space-y-3" aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`}>
      <figcaption>
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {title}
        </h2>
        <p id={`${id}-summary`} className="text-sm text-slate-400">
          {summary}
        </p>
      </figcaption>
      <div aria-hidden="true" className="h-56">
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
      <details className="text-sm">
        <summary className="cursor-pointer text-slate-400 hover:text-slate-100">Data table</summary>
        <div className="mt-2 max-h-64 overflow-auto">
          <table className="w-full text-left">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.header} scope="col" className="py-1 pr-3 font-medium text-slate-300">
                    {column.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={rowKey(row)} className="border-t border-slate-800">
                  {columns.map((column) => (
                    <td key={column.header} className="py-1 pr-3 tabular-nums">
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

const dayColumn: Column<DayRow> = { header: "Day (UTC)", cell: (row) => row.label };
const providerColumn: Column<ProviderRow> = {
  header: "Provider",
  cell: (row) => (
    <Link to={`/providers/${row.address}`} title={row.address} className="break-words">
      {row.label}
    </Link>
  ),
};

function DailyCharts({ rows, days }: { rows: DayRow[]; days: number }) {
  const range = `the last ${days} days`;
  const volume = sum(rows, (row) => row.volumeUsd);
  const volumePeak = peak(rows, (row) => row.volumeUsd);
  const bookings = sum(rows, (row) => row.bookings);
  const bookingsPeak = peak(rows, (row) => row.bookings);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const compliant = sum(rows, (row) => row.slaCompliant);
  const violated = sum(rows, (row) => row.slaViolated);
  const compliance = compliancePercent(compliant, compliant + violated);
  const xAxis = <XAxis dataKey="label" {...AXIS} minTickGap={16} />;
  const grid = <CartesianGrid stroke="#1e293b" vertical={false} />;
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <ChartFigure
        title="Daily volume (USD)"
        summary={`${formatUsd(volume)} booked over ${range}${volumePeak ? `, most on ${volumePeak.label} (${formatUsd(volumePeak.volumeUsd)})` : ""}.`}
        rows={rows}
        rowKey={(row) => row.date}
        columns={[dayColumn, { header: "Volume", cell: (row) => formatUsd(row.volumeUsd) }]}
      >
        <BarChart data={rows} accessibilityLayer={false}>
          {grid}
          {xAxis}
          <YAxis {...AXIS} tickFormatter={usdAxis} width={56} />
          <Tooltip {...TOOLTIP} formatter={(value) => [formatUsd(Number(value)), "Volume"]} />
          <Bar dataKey="volumeUsd" name="Volume" fill={COLORS.sky} isAnimationActive={false} maxBarSize={32} />
        </BarChart>
      </ChartFigure>
      <ChartFigure
        title="Bookings per day"
        summary={`${count(bookings)} bookings over ${range}${bookingsPeak ? `, most on ${bookingsPeak.label} (${count(bookingsPeak.bookings)})` : ""}.`}
        rows={rows}
        rowKey={(row) => row.date}
        columns={[dayColumn, { header: "Bookings", cell: (row) => count(row.bookings) }]}
      >
        <BarChart data={rows} accessibilityLayer={false}>
          {grid}
          {xAxis}
          <YAxis {...AXIS} allowDecimals={false} width={40} />
          <Tooltip {...TOOLTIP} />
          <Bar dataKey="bookings" name="Bookings" fill={COLORS.violet} isAnimationActive={false} maxBarSize={32} />
        </BarChart>
      </ChartFigure>
      <ChartFigure
        title="Listed resources"
        summary={`${count(last.activeResources)} resources listed on ${last.label}, ${count(first.activeResources)} on ${first.label}.`}
        rows={rows}
        rowKey={(row) => row.date}
        columns={[dayColumn, { header: "Listed resources", cell: (row) => count(row.activeResources) }]}
      >
        <LineChart data={rows} accessibilityLayer={false}>
          {grid}
          {xAxis}
          <YAxis {...AXIS} allowDecimals={false} width={40} />
          <Tooltip {...TOOLTIP} />
          <Line
            type="stepAfter"
            dataKey="activeResources"
            name="Listed resources"
            stroke={COLORS.amber}
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ChartFigure>
      <ChartFigure
        title="SLA compliance"
        summary={
          compliance === undefined
            ? `No SLA period was settled over ${range}.`
            : `${count(compliant)} of ${count(compliant + violated)} settled SLA periods met their uptime target over ${range} (${compliance.toFixed(1)} %); ${count(violated)} missed it.`
        }
        rows={rows}
        rowKey={(row) => row.date}
        columns={[
          dayColumn,
          { header: "Compliant periods", cell: (row) => count(row.slaCompliant) },
          { header: "Violated periods", cell: (row) => count(row.slaViolated) },
        ]}
      >
        <BarChart data={rows} accessibilityLayer={false}>
          {grid}
          {xAxis}
          <YAxis {...AXIS} allowDecimals={false} width={40} />
          <Tooltip {...TOOLTIP} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar
            dataKey="slaCompliant"
            name="Compliant"
            stackId="sla"
            fill={COLORS.emerald}
            isAnimationActive={false}
            maxBarSize={32}
          />
          <Bar
            dataKey="slaViolated"
            name="Violated"
            stackId="sla"
            fill={COLORS.rose}
            isAnimationActive={false}
            maxBarSize={32}
          />
        </BarChart>
      </ChartFigure>
    </div>
  );
}

function ProviderCharts({ byVolume, byReputation }: { byVolume: ProviderRow[]; byReputation: ProviderRow[] }) {
  const top = (rows: ProviderRow[], text: (row: ProviderRow) => string) =>
    rows.length ? `Highest: ${rows[0]!.label} with ${text(rows[0]!)}.` : "";
  const bars = (rows: ProviderRow[], dataKey: "volumeUsd" | "reputation", color: string, name: string) => (
    <BarChart data={rows} layout="vertical" accessibilityLayer={false} margin={{ left: 8 }}>
      <CartesianGrid stroke="#1e293b" horizontal={false} />
      <XAxis
        type="number"
        {...AXIS}
        tickFormatter={dataKey === "volumeUsd" ? usdAxis : (value: number) => `${value} %`}
        domain={dataKey === "reputation" ? [0, 100] : undefined}
      />
      <YAxis type="category" dataKey="label" {...AXIS} width={96} />
      <Tooltip
        {...TOOLTIP}
        formatter={(value) => [
          dataKey === "volumeUsd" ? formatUsd(Number(value)) : formatBps(Number(value) * 100),
          name,
        ]}
      />
      <Bar dataKey={dataKey} name={name} fill={color} isAnimationActive={false} maxBarSize={32} />
    </BarChart>
  );
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      {byVolume.length ? (
        <ChartFigure
          title="Top providers by volume"
          summary={`${leaders(byVolume.length)} with the most booked volume, all time. ${top(byVolume, (row) => formatUsd(row.volumeUsd))}`}
          rows={byVolume}
          rowKey={(row) => row.address}
          columns={[
            providerColumn,
            { header: "Volume", cell: (row) => formatUsd(row.volumeUsd) },
            { header: "Bookings", cell: (row) => count(row.bookings) },
          ]}
        >
          {bars(byVolume, "volumeUsd", COLORS.sky, "Volume")}
        </ChartFigure>
      ) : (
        <EmptyState title="No provider has been booked yet." />
      )}
      {byReputation.length ? (
        <ChartFigure
          title="Top providers by ranking score"
          summary={`${leaders(byReputation.length)} with the highest ranking score. ${RANKING_SCORE_EXPLAINED} ${top(byReputation, (row) => formatBps(row.reputation * 100))}`}
          rows={byReputation}
          rowKey={(row) => row.address}
          columns={[
            providerColumn,
            { header: "Ranking score", cell: (row) => formatBps(row.reputation * 100) },
            { header: "Bookings", cell: (row) => count(row.bookings) },
          ]}
        >
          {bars(byReputation, "reputation", COLORS.emerald, "Ranking score")}
        </ChartFigure>
      ) : (
        <EmptyState title="No provider has a ranking score yet.">
          Scores grow with completed bookings and SLA periods met.
        </EmptyState>
      )}
    </div>
  );
}

function Totals({ market }: { market: NonNullable<AnalyticsQueryResult["market"]> }) {
  const compliance = compliancePercent(market.slaPeriodsCompliant, market.slaPeriodsSettled);
  const items: [string, string, string?][] = [
    ["Volume", formatUsd(toNumber(market.volumeUsd))],
    ["Bookings", count(market.bookingCount), `${count(market.openBookingCount)} open`],
    ["Resources listed", count(market.activeResourceCount), `${count(market.resourceCount)} ever listed`],
    ["Providers", count(market.providerCount)],
    [
      "SLA compliance",
      compliance === undefined ? "–" : `${compliance.toFixed(1)} %`,
      `${count(market.slaPeriodsSettled)} periods settled`,
    ],
    ["SLA credits refunded", formatUsd(toNumber(market.slaCreditsUsd))],
    ["Protocol fees", formatUsd(toNumber(market.feesUsd))],
  ];
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
      {items.map(([term, value, detail]) => (
        <div key={term} className="card">
          <dt className="text-sm text-slate-400">{term}</dt>
          <dd className="text-xl font-semibold tabular-nums">{value}</dd>
          {detail ? <dd className="text-xs text-slate-500">{detail}</dd> : null}
        </div>
      ))}
    </dl>
  );
}

function useAnalytics(days: number) {
  // Chain time: on a local chain whose clock was advanced, "today" is the chain's day.
  const today = dayOf(useNow(60_000));
  const firstDay = today - days + 1;
  const result = useQuery(AnalyticsQuery, { variables: { since: firstDay * DAY_SECONDS, top: TOP } });
  const { data } = result;
  const shaped = useMemo(
    () =>
      data && {
        rows: dailySeries(data.days, firstDay, today, data.before[0]),
        byVolume: providerRows(data.byVolume),
        byReputation: providerRows(data.byReputation),
      },
    [data, firstDay, today],
  );
  return { ...result, shaped };
}

function LoadingAnalytics() {
  return (
    <div role="status" aria-label="Loading analytics" className="space-y-4">
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
        {Array.from({ length: 4 }, (_, index) => (
          <Skeleton key={index} className="h-20" />
        ))}
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
      </div>
    </div>
  );
}

export default function AnalyticsPage() {
  const [days, setDays] = useState<number>(30);
  const { data, shaped, loading, error, refetch } = useAnalytics(days);
  const rangeId = useId();

  const range = (
    <div className="flex items-center gap-2">
      <label htmlFor={rangeId} className="label mb-0">
        Period
      </label>
      <select
        id={rangeId}
        className="field w-auto"
        value={days}
        onChange={(event) => setDays(Number(event.target.value))}
      >
        {RANGES.map((value) => (
          <option key={value} value={value}>
            Last {value} days
          </option>
        ))}
      </select>
    </div>
  );

  let body: ReactNode;
  if (error && !data) body = <SubgraphError error={error} retry={() => void refetch()} />;
  else if (loading && !shaped) body = <LoadingAnalytics />;
  else if (!data?.market || !shaped) {
    body = (
      <EmptyState title="No marketplace activity yet.">
        Charts appear here once providers list resources and consumers book them.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <Totals market={data.market} />
        {hasActivity(shaped.rows) ? (
          <DailyCharts rows={shaped.rows} days={days} />
        ) : (
          <EmptyState title={`No activity in the last ${days} days.`} />
        )}
        <ProviderCharts byVolume={shaped.byVolume} byReputation={shaped.byReputation} />
      </>
    );
  }

  return (
    <Page title="Analytics" actions={range}>
      {error && data ? <SubgraphError error={error} retry={() => void refetch()} /> : null}
      {body}
    </Page>
  );
}
