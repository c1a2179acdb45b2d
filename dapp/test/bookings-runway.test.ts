import { describe, expect, it } from "vitest";

import { bookingRunway, renewalBudget, runwayAlert } from "../src/pages/bookings/runway.ts";
import { deriveTimeline } from "../src/pages/bookings/timeline.ts";

const END = 1_000_000;
const GRACE = 180;
const running = { status: "ACTIVE" as const, endsAt: String(END), graceEndsAt: String(END + GRACE) };

describe("bookingRunway", () => {
  it("counts down to the funded end and warns from 24 h and from 1 h before it", () => {
    expect(bookingRunway(running, END - 24 * 3_600 - 1)).toMatchObject({
      state: "running",
      secondsLeft: 24 * 3_600 + 1,
      warning: undefined,
    });
    expect(bookingRunway(running, END - 24 * 3_600).warning).toBe("day");
    expect(bookingRunway(running, END - 3_601).warning).toBe("day");
    expect(bookingRunway(running, END - 3_600).warning).toBe("hour");
    expect(bookingRunway(running, END - 1)).toMatchObject({ warning: "hour", secondsLeft: 1 });
  });

  it("is in grace from the end, counting down to the end of the grace, then lapses", () => {
    expect(bookingRunway(running, END)).toMatchObject({ state: "grace", secondsLeft: GRACE, warning: undefined });
    expect(bookingRunway(running, END + GRACE - 1).secondsLeft).toBe(1);
    expect(bookingRunway(running, END + GRACE)).toMatchObject({ state: "lapsed", secondsLeft: 0 });
  });

  it("has no runway before provisioning or once closed", () => {
    expect(bookingRunway({ status: "REQUESTED" }, END)).toMatchObject({ state: "requested", warning: undefined });
    expect(bookingRunway({ ...running, status: "COMPLETED" }, END - 60)).toMatchObject({
      state: "closed",
      warning: undefined,
    });
  });
});

describe("runwayAlert", () => {
  it("alerts once per threshold and end: a renewal moves the end and so the alert", () => {
    const day = runwayAlert("7", bookingRunway(running, END - 7_200))!;
    const hour = runwayAlert("7", bookingRunway(running, END - 60))!;
    expect(day.title).toBe("Booking #7 ends within 24 hours");
    expect(hour.title).toBe("Booking #7 ends within 1 hour");
    expect(new Set([day.key, hour.key]).size).toBe(2);
    expect(runwayAlert("7", bookingRunway(running, END - 61))!.key).toBe(hour.key);
    const renewed = { ...running, endsAt: String(END + 3_600), graceEndsAt: String(END + 3_600 + GRACE) };
    expect(runwayAlert("7", bookingRunway(renewed, END - 60))!.key).not.toBe(hour.key);
  });

  it("alerts when the booking is suspended, and not before a day before its end", () => {
    expect(runwayAlert("7", bookingRunway(running, END + 1))!.title).toBe("Booking #7 is suspended");
    expect(runwayAlert("7", bookingRunway(running, END - 2 * 24 * 3_600))).toBeUndefined();
    expect(runwayAlert("7", bookingRunway(running, END + GRACE))).toBeUndefined();
  });
});

describe("the timeline in grace", () => {
  const booking = { ...running, requestedAt: String(END - 7_300), startedAt: String(END - 7_200) };

  it("shows a suspended booking that can still be extended, until its grace ends", () => {
    const grace = deriveTimeline(booking, END + 60, 300);
    expect(grace).toMatchObject({
      phase: "grace",
      secondsLeft: GRACE - 60,
      canExtend: true,
      canTerminate: false,
      canComplete: false,
    });
    expect(grace.steps.find((step) => step.key === "active")?.state).toBe("failed");
    const ended = deriveTimeline(booking, END + GRACE, 300);
    expect(ended).toMatchObject({ phase: "ended", canExtend: false, canComplete: true });
  });

  it("ends at the funded end when the subgraph has no grace for it", () => {
    expect(deriveTimeline({ ...booking, graceEndsAt: null }, END, 300).phase).toBe("ended");
  });
});

describe("renewalBudget", () => {
  it("covers each renewal at today's quote plus the 1 % margin and the renewer's tip", () => {
    expect(renewalBudget(1_500_000n, 2, 0)).toBe(2n * 1_515_000n);
    expect(renewalBudget(1_500_000n, 1, 100)).toBe(1_515_000n + 15_150n);
  });
});
