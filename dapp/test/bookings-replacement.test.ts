import { describe, expect, it } from "vitest";

import {
  type ReplaceableBooking,
  bestCandidate,
  hoursLeft,
  replacementFilter,
  replacementHours,
  replacementReason,
} from "../src/pages/bookings/replacement.ts";

const booking: ReplaceableBooking = {
  status: "TERMINATED",
  hoursBooked: 4,
  startedAt: "10000",
  endsAt: "13600",
  terminatedAt: "13600",
  terminatedByProvider: true,
  slaReports: [{ creditBps: 0 }],
  token: { id: "0xusdc" },
  provider: { id: "0xfailed" },
  resource: {
    id: "3",
    kind: "VIRTUAL_MACHINE",
    region: "eu-west-1",
    pricePerHourUsdE8: "150000000",
    uptimeTargetBps: 9_900,
    metadata: { service: "compute", cloud: "aws", vcpu: 2, memoryGib: "4", storageSizeGib: 20, gpuCount: null },
  },
};

describe("replacementReason", () => {
  it("offers a re-placement when the provider terminated or a period got the full credit", () => {
    expect(replacementReason(booking)).toBe("The provider terminated this booking.");
    expect(replacementReason({ ...booking, terminatedByProvider: false })).toBeUndefined();
    const failed = { ...booking, status: "ACTIVE" as const, slaReports: [{ creditBps: 2_500 }, { creditBps: 10_000 }] };
    expect(replacementReason(failed)).toMatch(/100 % credit/);
    expect(replacementReason({ ...failed, slaReports: [{ creditBps: 9_999 }] })).toBeUndefined();
    expect(replacementReason({ ...failed, status: "COMPLETED" })).toBeUndefined();
  });
});

describe("replacementFilter", () => {
  it("asks for the same kind, cloud and region, at least the specs and SLA, elsewhere, in the token, within the price", () => {
    expect(replacementFilter(booking, 200_000_000n)).toEqual({
      status: "LISTED",
      kind: "VIRTUAL_MACHINE",
      region: "eu-west-1",
      provider_not: "0xfailed",
      uptimeTargetBps_gte: 9_900,
      pricePerHourUsdE8_lte: "200000000",
      acceptedTokens_contains: ["0xusdc"],
      metadata_: {
        status: "VALID",
        service: "compute",
        cloud: "aws",
        vcpu_gte: 2,
        memoryGib_gte: "4",
        storageSizeGib_gte: 20,
      },
    });
  });

  it("requires no spec the old listing did not state", () => {
    const bare = { ...booking, resource: { ...booking.resource, metadata: null } };
    expect(replacementFilter(bare, 1n).metadata_).toEqual({ status: "VALID" });
  });
});

describe("bestCandidate", () => {
  const candidate = (id: string, scoreBps: number, price: string, openBookings = 0) => ({
    id,
    pricePerHourUsdE8: price,
    capacity: 1,
    openBookings,
    provider: { id: `0x${id}`, scoreBps },
  });

  it("takes the best reputation with free capacity, then the lowest price", () => {
    expect(bestCandidate([candidate("1", 5_000, "100"), candidate("2", 8_000, "150")])?.id).toBe("2");
    expect(bestCandidate([candidate("1", 8_000, "150"), candidate("2", 8_000, "100")])?.id).toBe("2");
    expect(bestCandidate([candidate("1", 9_000, "100", 1), candidate("2", 1_000, "100")])?.id).toBe("2");
    expect(bestCandidate([candidate("1", 9_000, "100", 1)])).toBeUndefined();
  });
});

describe("hours of the replacement", () => {
  it("books what was left, within the new resource's terms", () => {
    expect(hoursLeft(booking, 99_999)).toBe(3); // terminated after 1 h of 4
    expect(hoursLeft({ ...booking, terminatedAt: "11000" }, 99_999)).toBe(4); // 1000 s used: rounds up
    expect(hoursLeft({ ...booking, status: "ACTIVE", terminatedAt: null }, 10_000 + 4 * 3_600)).toBe(1);
    expect(replacementHours(3, 1, 2)).toBe(2);
    expect(replacementHours(3, 4, 8)).toBe(4);
    expect(replacementHours(3, 1, 8)).toBe(3);
  });
});
