import type { MockLink } from "@apollo/client/testing";
import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { beforeAll, describe, expect, it, vi } from "vitest";

import { AnalyticsDocument, type AnalyticsQuery } from "../src/generated/gql/graphql.ts";
import AnalyticsPage from "../src/pages/analytics/AnalyticsPage.tsx";
import { DAY_SECONDS } from "../src/pages/analytics/series.ts";

// The chain clock is the edge here: a fixed "now" (2025-11-03 12:00 UTC) instead of the chain's blocks.
const TODAY = 20_395;
vi.mock("../src/lib/useNow.ts", () => ({ useNow: () => TODAY * DAY_SECONDS + 43_200 }));

beforeAll(() => {
  // jsdom has no layout: recharts' container only needs the observer to exist.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});

const variables = { since: (TODAY - 29) * DAY_SECONDS, top: 8 };
const PROVIDER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

const empty: AnalyticsQuery = { market: null, days: [], before: [], byVolume: [], byReputation: [] };
// Results carry __typename, as graph-node's do: Apollo matches the query's fragments by it.
const leader = {
  __typename: "Provider",
  id: PROVIDER,
  profile: { __typename: "ProviderProfileDocument", status: "VALID" as const, displayName: "Nimbus Compute" },
  volumeUsd: "150.25",
  bookingCount: 4,
  scoreBps: 8_125,
};
const active = {
  market: {
    __typename: "Market",
    providerCount: 1,
    resourceCount: 3,
    activeResourceCount: 2,
    bookingCount: 4,
    openBookingCount: 1,
    volumeUsd: "150.25",
    slaPeriodsSettled: 10,
    slaPeriodsCompliant: 9,
    slaCreditsUsd: "1.5",
    feesUsd: "3",
  },
  days: [
    {
      __typename: "MarketDayStat",
      date: TODAY * DAY_SECONDS,
      bookingCount: 4,
      volumeUsd: "150.25",
      activeResources: 2,
      slaPeriodsSettled: 10,
      slaPeriodsCompliant: 9,
    },
  ],
  before: [],
  byVolume: [leader],
  byReputation: [leader],
};

function renderPage(mock: Omit<MockLink.MockedResponse<AnalyticsQuery>, "request">) {
  return render(
    <MockedProvider mocks={[{ request: { query: AnalyticsDocument, variables }, ...mock }]}>
      <MemoryRouter>
        <AnalyticsPage />
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("analytics page", () => {
  it("shows an error with a retry when the subgraph is unreachable", async () => {
    renderPage({ error: new Error("Failed to fetch") });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The marketplace index (subgraph) is unreachable.");
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("says so when nothing happened yet", async () => {
    renderPage({ result: { data: empty } });
    expect(await screen.findByText("No marketplace activity yet.")).toBeInTheDocument();
    expect(screen.queryByRole("figure")).not.toBeInTheDocument();
  });

  it("draws each chart with a summary and a data table, and the totals", async () => {
    renderPage({ result: { data: active } });
    const volume = await screen.findByRole("figure", { name: "Daily volume (USD)" });
    expect(volume).toHaveAccessibleDescription("$150.25 booked over the last 30 days, most on Nov 3 ($150.25).");
    // One row per day of the period, missing days included.
    expect(within(volume).getAllByRole("row")).toHaveLength(1 + 30);
    expect(screen.getByRole("figure", { name: "SLA compliance" })).toHaveAccessibleDescription(
      "9 of 10 settled SLA periods met their uptime target over the last 30 days (90.0 %); 1 missed it.",
    );
    const reputation = screen.getByRole("figure", { name: "Top providers by ranking score" });
    // Providers go by their profile's name where they have a valid one.
    expect(within(reputation).getByRole("link", { name: "Nimbus Compute" })).toHaveAttribute(
      "href",
      `/providers/${PROVIDER}`,
    );
    expect(within(reputation).getByText("81.25 %")).toBeInTheDocument();
    expect(screen.getByText("SLA compliance", { selector: "dt" }).nextSibling).toHaveTextContent("90.0 %");
  });
});
