/** What the provider console reads from the subgraph: one query for the console, one per list. */
import { graphql } from "../../generated/gql/index.ts";

export const ProviderConsoleQuery = graphql(`
  query ProviderConsole($provider: ID!) {
    provider(id: $provider) {
      ...ProviderNameFields
      ...ProviderRecordFields
      registered
      registeredAt
      profileCid
      resourceCount
      activeResourceCount
      bookingCount
      volumeUsd
      earningsUsd
      feesUsd
      slaCreditsUsd
    }
  }
`);

export const ProviderResourcesQuery = graphql(`
  query ProviderResources($provider: String!) {
    resources(where: { provider: $provider }, orderBy: listedAt, orderDirection: desc, first: 100) {
      id
      kind
      region
      status
      pricePerHourUsdE8
      capacity
      minHours
      maxHours
      uptimeTargetBps
      maxLatencyMs
      acceptedTokens {
        ...PaymentTokenFields
      }
      openBookings
      bookingCount
      volumeUsd
      metadataCid
      metadataVersion
      metadata {
        status
        name
        error
      }
      listedAt
    }
  }
`);

export const ProviderBookingsQuery = graphql(`
  query ProviderBookings($provider: String!, $id: ID!, $first: Int!, $skip: Int!) {
    record: provider(id: $id) {
      extensionCount
      hoursExtended
      renewalCount
      hoursRenewed
      renewalSkipCount
      resumeCount
      endedInGraceCount
    }
    bookings(where: { provider: $provider }, orderBy: requestedAt, orderDirection: desc, first: $first, skip: $skip) {
      id
      status
      resource {
        id
        metadata {
          name
        }
      }
      consumer {
        id
      }
      token {
        ...PaymentTokenFields
      }
      hoursBooked
      amount
      amountUsd
      withdrawn
      fees
      refunded
      slaCredits
      requestedAt
      startedAt
      endsAt
      graceEndsAt
      extensionCount
      renewalCount
      resumeCount
      endedInGrace
      renewalPolicy {
        active
      }
    }
  }
`);

/** Bookings that earned something: they were provisioned. */
export const EarningBookingsQuery = graphql(`
  query EarningBookings($provider: String!) {
    bookings(
      where: { provider: $provider, status_in: [ACTIVE, COMPLETED, TERMINATED] }
      orderBy: requestedAt
      orderDirection: desc
      first: 1000
    ) {
      id
      status
      token {
        ...PaymentTokenFields
      }
      hoursBooked
      amount
      withdrawn
      slaCredits
      startedAt
      endsAt
    }
  }
`);

export const ProviderMovementsQuery = graphql(`
  query ProviderMovements($account: String!) {
    escrowMovements(
      where: { account: $account, kind_in: [EARNINGS_WITHDRAWAL, CLAIM] }
      orderBy: timestamp
      orderDirection: desc
      first: 50
    ) {
      id
      kind
      booking {
        id
      }
      token {
        ...PaymentTokenFields
      }
      amount
      fee
      amountUsd
      timestamp
      transactionHash
    }
  }
`);

export const ProviderSlaQuery = graphql(`
  query ProviderSla($provider: String!) {
    slaReports(where: { provider: $provider }, orderBy: timestamp, orderDirection: desc, first: 20) {
      id
      booking {
        id
      }
      period
      uptimeBps
      p95LatencyMs
      compliant
      creditBps
      credit
      creditUsd
      timestamp
    }
    reputationChanges(where: { provider: $provider }, orderBy: timestamp, orderDirection: desc, first: 20) {
      id
      scoreBps
      bookingsCompleted
      bookingsFailed
      periodsCompliant
      periodsViolated
      timestamp
    }
  }
`);
