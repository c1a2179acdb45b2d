import { describe, expect, it } from "vitest";

import { type TimelineBooking, deriveTimeline } from "../src/pages/bookings/timeline.ts";

const REQUESTED_AT = 1_000_000;
const TIMEOUT = 300;
const requested: TimelineBooking = { status: "REQUESTED", requestedAt: String(REQUESTED_AT) };
const active: TimelineBooking = {
  status: "ACTIVE",
  requestedAt: String(REQUESTED_AT),
  provisionedAt: String(REQUESTED_AT + 60),
  startedAt: String(REQUESTED_AT + 60),
  endsAt: String(REQUESTED_AT + 60 + 7200),
};
const stepStates = (booking: TimelineBooking, now: number) =>
  deriveTimeline(booking, now, TIMEOUT).steps.map((step) => `${step.key}:${step.state}`);

describe("deriveTimeline", () => {
  it("shows a requested booking waiting for provisioning, with its deadline and countdown", () => {
    const timeline = deriveTimeline(requested, REQUESTED_AT + 100, TIMEOUT);
    expect(timeline.phase).toBe("awaiting-provisioning");
    expect(timeline.provisioningDeadline).toBe(REQUESTED_AT + TIMEOUT);
    expect(timeline.secondsLeft).toBe(200);
    expect(stepStates(requested, REQUESTED_AT + 100)).toEqual([
      "requested:done",
      "provisioned:current",
      "active:upcoming",
      "completed:upcoming",
    ]);
    expect(timeline).toMatchObject({
      canCancel: true,
      canTerminate: false,
      canExtend: true,
      canComplete: false,
      canRate: false,
    });
  });

  it("times out one second after the deadline, as the contract does, and still lets the consumer cancel", () => {
    expect(deriveTimeline(requested, REQUESTED_AT + TIMEOUT, TIMEOUT).phase).toBe("awaiting-provisioning");
    const late = deriveTimeline(requested, REQUESTED_AT + TIMEOUT + 1, TIMEOUT);
    expect(late.phase).toBe("provisioning-timed-out");
    expect(late.steps[1]).toMatchObject({ key: "provisioned", state: "failed" });
    expect(late.canCancel).toBe(true);
    expect(late.secondsLeft).toBeUndefined();
  });

  it("has no deadline while the provisioning timeout is unknown", () => {
    const timeline = deriveTimeline(requested, REQUESTED_AT + 10_000);
    expect(timeline.phase).toBe("awaiting-provisioning");
    expect(timeline.provisioningDeadline).toBeUndefined();
  });

  it("counts down an active booking and allows termination until its end, completion from its end", () => {
    const running = deriveTimeline(active, REQUESTED_AT + 60 + 3600, TIMEOUT);
    expect(running.phase).toBe("active");
    expect(running.secondsLeft).toBe(3600);
    expect(running).toMatchObject({ canCancel: false, canTerminate: true, canExtend: true, canComplete: false });
    expect(stepStates(active, REQUESTED_AT + 100)).toEqual([
      "requested:done",
      "provisioned:done",
      "active:current",
      "completed:upcoming",
    ]);

    const ended = deriveTimeline(active, REQUESTED_AT + 60 + 7200, TIMEOUT);
    expect(ended.phase).toBe("ended");
    expect(ended).toMatchObject({ canTerminate: false, canExtend: false, canComplete: true });
    expect(ended.steps.map((step) => step.state)).toEqual(["done", "done", "done", "current"]);
  });

  it("offers a rating once a completed booking has none", () => {
    const completed: TimelineBooking = { ...active, status: "COMPLETED", completedAt: String(REQUESTED_AT + 9000) };
    const timeline = deriveTimeline(completed, REQUESTED_AT + 10_000, TIMEOUT);
    expect(timeline.phase).toBe("completed");
    expect(timeline.canRate).toBe(true);
    expect(timeline.steps.at(-1)).toMatchObject({ key: "completed", state: "done", at: REQUESTED_AT + 9000 });
    expect(deriveTimeline({ ...completed, rating: 4 }, REQUESTED_AT + 10_000, TIMEOUT).canRate).toBe(false);
  });

  it("ends a cancelled booking's timeline with the cancellation, saying whether the provider timed out", () => {
    const cancelled: TimelineBooking = {
      ...requested,
      status: "CANCELLED",
      cancelledAt: String(REQUESTED_AT + 400),
      timedOut: true,
      events: [{ kind: "CANCELLED", timestamp: String(REQUESTED_AT + 400), transactionHash: "0xabc" }],
    };
    const timeline = deriveTimeline(cancelled, REQUESTED_AT + 500, TIMEOUT);
    expect(timeline.phase).toBe("cancelled");
    expect(timeline.steps.map((step) => step.key)).toEqual(["requested", "cancelled"]);
    expect(timeline.steps[1]).toMatchObject({ state: "failed", transactionHash: "0xabc" });
    expect(timeline.steps[1]!.detail).toMatch(/did not provision in time/);
    expect(timeline).toMatchObject({ canCancel: false, canTerminate: false, canComplete: false, canRate: false });
  });

  it("ends a terminated booking's timeline with who terminated it; terminated bookings cannot be rated", () => {
    const terminated: TimelineBooking = {
      ...active,
      status: "TERMINATED",
      endsAt: String(REQUESTED_AT + 1000),
      terminatedAt: String(REQUESTED_AT + 1000),
      terminatedByProvider: true,
    };
    const timeline = deriveTimeline(terminated, REQUESTED_AT + 2000, TIMEOUT);
    expect(timeline.phase).toBe("terminated");
    expect(timeline.steps.map((step) => `${step.key}:${step.state}`)).toEqual([
      "requested:done",
      "provisioned:done",
      "active:done",
      "terminated:failed",
    ]);
    expect(timeline.steps[3]!.detail).toMatch(/provider ended it early/);
    expect(timeline.canRate).toBe(false);
  });
});
