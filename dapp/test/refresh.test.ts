import { describe, expect, it } from "vitest";

import { type ChainEvent, affectedQueries, concernsConsumer, latestBlock } from "../src/lib/refresh.ts";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const viewer = { account: ME as `0x${string}`, bookingIds: new Set(["7"]) };
const event = (eventName: string, args: Record<string, unknown>, blockNumber = 10n): ChainEvent => ({
  eventName,
  args,
  blockNumber,
});

describe("which queries an event refetches", () => {
  it("refetches market-wide views for anyone's booking, and the consumer's dashboard only for its own", () => {
    const someoneElses = affectedQueries(
      [event("BookingRequested", { bookingId: 8n, consumer: OTHER, provider: OTHER })],
      viewer,
    );
    expect(someoneElses.has("ResourcePage")).toBe(true);
    expect(someoneElses.has("MyBookings")).toBe(false);
    expect(someoneElses.has("ProviderBookings")).toBe(false);

    const mine = affectedQueries(
      [event("BookingRequested", { bookingId: 9n, consumer: ME.toLowerCase(), provider: OTHER })],
      viewer,
    );
    expect(mine.has("MyBookings")).toBe(true);
    expect(mine.has("MyBookingIds")).toBe(true);
  });

  it("finds the consumer of an event without one through the viewer's booking ids", () => {
    expect(concernsConsumer(event("BookingProvisioned", { bookingId: 7n }), viewer)).toBe(true);
    expect(concernsConsumer(event("BookingProvisioned", { bookingId: 8n }), viewer)).toBe(false);
    expect(concernsConsumer(event("BookingProvisioned", { bookingId: 7n }), { bookingIds: new Set(["7"]) })).toBe(
      false,
    );
  });

  it("reads the consumer from events that carry it, whatever the viewer's booking ids say", () => {
    // Once the lifecycle events index their consumer, a booking the viewer has not loaded yet counts too.
    expect(concernsConsumer(event("BookingCompleted", { bookingId: 99n, consumer: ME }), viewer)).toBe(true);
    expect(concernsConsumer(event("BookingCompleted", { bookingId: 7n, consumer: OTHER }), viewer)).toBe(false);
  });

  it("refetches a provider's console for events that name it, and nothing for events nobody shows", () => {
    const settled = affectedQueries([event("SlaPeriodsSettled", { bookingId: 3n, provider: ME })], viewer);
    expect(settled.has("ProviderSla")).toBe(true);
    expect(affectedQueries([event("RoleGranted", {})], viewer).size).toBe(0);
  });

  it("counts the viewer's own transaction as concerning it in every role", () => {
    const own = affectedQueries([event("BookingCancelled", { bookingId: 12n })], { bookingIds: new Set() }, true);
    expect(own.has("MyBookings")).toBe(true);
    expect(own.has("ProviderBookings")).toBe(true);
  });

  it("waits for the latest block of a batch", () => {
    expect(
      latestBlock([event("Paused", {}, 5n), event("Unpaused", {}, 9n), { ...event("Paused", {}), blockNumber: null }]),
    ).toBe(9n);
  });
});
