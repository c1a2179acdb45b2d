import { graphql } from "../../generated/gql/index.ts";

/** A page of the connected account's bookings, newest first, with everything the dashboard shows. */
export const MyBookingsQuery = graphql(`
  query MyBookings($consumer: String!, $first: Int!, $skip: Int!) {
    protocol(id: "protocol") {
      provisionTimeoutSeconds
      slaPeriodSeconds
      renewalWindowSeconds
      renewalTipBps
    }
    bookings(where: { consumer: $consumer }, orderBy: id, orderDirection: desc, first: $first, skip: $skip) {
      id
      status
      hoursBooked
      amount
      usdValueE8
      encryptionPublicKey
      requestedAt
      provisionedAt
      accessDetailsCid
      startedAt
      endsAt
      graceEndsAt
      renewalCount
      resumeCount
      endedInGrace
      renewalPolicy {
        active
        hoursPerRenewal
        maxPricePerHourUsdE8
        budgetLeft
        renewalCount
      }
      cancelledAt
      timedOut
      completedAt
      terminatedAt
      terminatedByProvider
      refunded
      slaCredits
      slashed
      slaPeriodsSettled
      slaPeriodsViolated
      rating
      token {
        ...PaymentTokenFields
      }
      provider {
        ...ProviderNameFields
      }
      resource {
        id
        kind
        region
        uptimeTargetBps
        pricePerHourUsdE8
        maxHours
        metadata {
          name
          service
          cloud
          vcpu
          memoryGib
          gpuModel
          gpuCount
          storageSizeGib
          capacityGib
        }
      }
      extensions(orderBy: index, orderDirection: asc, first: 1000) {
        index
        hours
        amount
        endsAt
      }
      events(orderBy: timestamp, orderDirection: asc) {
        id
        kind
        actor
        timestamp
        transactionHash
      }
      slaReports(orderBy: period, orderDirection: asc, first: 1000) {
        id
        period
        uptimeBps
        p95LatencyMs
        compliant
        creditBps
        periodValue
        credit
      }
    }
  }
`);

export const PAGE_SIZE = 10;

/**
 * Variables for page `page` (from 0) of `account`'s bookings. One booking more than a page is
 * asked for, to know whether an older page exists. The subgraph stores addresses in lower case.
 */
export function bookingsVariables(account: string, page: number) {
  return { consumer: account.toLowerCase(), first: PAGE_SIZE + 1, skip: Math.max(0, Math.floor(page)) * PAGE_SIZE };
}
