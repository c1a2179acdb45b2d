/**
 * Where a booking stands and what its consumer can do next, derived from the subgraph's Booking
 * (and its BookingEvents) and the chain's clock. Mirrors the rules of ResourceMarketplace: a
 * requested booking can be cancelled by its consumer at any time (and by anyone once provisioning
 * has timed out); an active one can be terminated before its end; past its end it is suspended
 * for the grace period, when an extension resumes it, and it is completed after it (the
 * consumer may complete it earlier); a completed one can be rated once.
 */
import { runwayState } from "@d-cloudx/sdk/runway";

export type BookingStatus = "REQUESTED" | "ACTIVE" | "COMPLETED" | "CANCELLED" | "TERMINATED";

/** The Booking fields the timeline needs (subgraph BigInts are decimal strings). */
export interface TimelineBooking {
  status: BookingStatus;
  requestedAt: string;
  provisionedAt?: string | null;
  startedAt?: string | null;
  endsAt?: string | null;
  /** End of the grace after `endsAt` (null before provisioning). */
  graceEndsAt?: string | null;
  cancelledAt?: string | null;
  timedOut?: boolean | null;
  completedAt?: string | null;
  terminatedAt?: string | null;
  terminatedByProvider?: boolean | null;
  rating?: number | null;
  events?: readonly { kind: string; timestamp: string; transactionHash: string }[];
}

export type Phase =
  | "awaiting-provisioning"
  | "provisioning-timed-out"
  | "active"
  | "grace"
  | "ended"
  | "completed"
  | "cancelled"
  | "terminated";

export type StepState = "done" | "current" | "upcoming" | "failed";

export interface TimelineStep {
  key: "requested" | "provisioned" | "active" | "completed" | "cancelled" | "terminated";
  label: string;
  state: StepState;
  /** When it happened (seconds), or when it is due. */
  at?: number;
  detail?: string;
  transactionHash?: string;
}

export interface Timeline {
  phase: Phase;
  steps: TimelineStep[];
  /** While requested: the last moment the oracle may confirm provisioning. */
  provisioningDeadline?: number;
  /** Seconds until the deadline (requested), the end of billing (active) or of the grace; 0 once passed. */
  secondsLeft?: number;
  canCancel: boolean;
  canTerminate: boolean;
  /** Requested within its provisioning deadline, running, or suspended in its grace: more hours can be added. */
  canExtend: boolean;
  canComplete: boolean;
  canRate: boolean;
}

const seconds = (value: string | null | undefined) => (value == null ? undefined : Number(value));

/** `now` and `provisionTimeoutSeconds` in seconds; the timeout is unknown (undefined) until the subgraph has it. */
export function deriveTimeline(booking: TimelineBooking, now: number, provisionTimeoutSeconds?: number): Timeline {
  const requestedAt = Number(booking.requestedAt);
  const startedAt = seconds(booking.startedAt) ?? seconds(booking.provisionedAt);
  const endsAt = seconds(booking.endsAt);
  const graceEndsAt = seconds(booking.graceEndsAt);
  const deadline = provisionTimeoutSeconds === undefined ? undefined : requestedAt + provisionTimeoutSeconds;
  const txOf = (kind: string) => booking.events?.find((event) => event.kind === kind)?.transactionHash;

  const phase = phaseOf(booking, now, deadline, endsAt, graceEndsAt);
  const steps: TimelineStep[] = [
    { key: "requested", label: "Requested", state: "done", at: requestedAt, transactionHash: txOf("REQUESTED") },
  ];

  if (booking.status === "CANCELLED") {
    steps.push({
      key: "cancelled",
      label: "Cancelled",
      state: "failed",
      at: seconds(booking.cancelledAt),
      detail: booking.timedOut
        ? "The provider did not provision in time; the payment was refunded in full, with compensation from the provider's bond."
        : "Cancelled before provisioning; the payment was refunded in full.",
      transactionHash: txOf("CANCELLED"),
    });
  } else {
    const provisioned = startedAt !== undefined;
    steps.push({
      key: "provisioned",
      label: "Provisioned",
      state: provisioned ? "done" : phase === "provisioning-timed-out" ? "failed" : "current",
      at: provisioned ? (seconds(booking.provisionedAt) ?? startedAt) : deadline,
      detail: provisioned
        ? undefined
        : phase === "provisioning-timed-out"
          ? "The provisioning deadline passed."
          : "Waiting for the oracle to provision the resource.",
      transactionHash: txOf("PROVISIONED"),
    });
    steps.push({
      key: "active",
      label: "Active",
      state: !provisioned ? "upcoming" : phase === "active" ? "current" : phase === "grace" ? "failed" : "done",
      at: startedAt,
      detail: phase === "grace" ? "Suspended: the paid time ran out. Extend to resume it." : undefined,
    });
    if (booking.status === "TERMINATED") {
      steps.push({
        key: "terminated",
        label: "Terminated",
        state: "failed",
        at: seconds(booking.terminatedAt),
        detail: booking.terminatedByProvider
          ? "The provider ended it early; unused time was refunded, with compensation from the provider's bond."
          : "You ended it early; unused time was refunded.",
        transactionHash: txOf("TERMINATED"),
      });
    } else {
      steps.push({
        key: "completed",
        label: "Completed",
        state: booking.status === "COMPLETED" ? "done" : phase === "ended" ? "current" : "upcoming",
        at: seconds(booking.completedAt) ?? (phase === "grace" ? graceEndsAt : endsAt),
        detail:
          phase === "ended"
            ? "Billing has ended; anyone can now mark the booking completed."
            : phase === "grace"
              ? "Deprovisioned at the end of the grace unless extended."
              : undefined,
        transactionHash: txOf("COMPLETED"),
      });
    }
  }

  let secondsLeft: number | undefined;
  if (phase === "awaiting-provisioning" && deadline !== undefined) secondsLeft = Math.max(0, deadline - now);
  if (phase === "active" && endsAt !== undefined) secondsLeft = Math.max(0, endsAt - now);
  if (phase === "grace" && graceEndsAt !== undefined) secondsLeft = Math.max(0, graceEndsAt - now);

  return {
    phase,
    steps,
    provisioningDeadline: booking.status === "REQUESTED" ? deadline : undefined,
    secondsLeft,
    canCancel: booking.status === "REQUESTED",
    canTerminate: phase === "active",
    canExtend: phase === "active" || phase === "awaiting-provisioning" || phase === "grace",
    canComplete: phase === "ended",
    canRate: booking.status === "COMPLETED" && booking.rating == null,
  };
}

function phaseOf(
  booking: TimelineBooking,
  now: number,
  deadline?: number,
  endsAt?: number,
  graceEndsAt?: number,
): Phase {
  switch (booking.status) {
    case "REQUESTED":
      // The contract allows provisioning up to and including the deadline second.
      return deadline !== undefined && now > deadline ? "provisioning-timed-out" : "awaiting-provisioning";
    case "ACTIVE": {
      // terminateBooking reverts from endsAt on; completeBooking is open to anyone once the grace is over.
      const state = runwayState("active", endsAt ?? null, graceEndsAt ?? null, now);
      return state === "running" ? "active" : state === "grace" ? "grace" : "ended";
    }
    case "COMPLETED":
      return "completed";
    case "CANCELLED":
      return "cancelled";
    case "TERMINATED":
      return "terminated";
  }
}
