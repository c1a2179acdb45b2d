export * from "./deployments.ts";
export * from "./metadata.ts";
export * from "./sla.ts";
export * from "./access.ts";
export * from "./verifier.ts";
export * from "./signing.ts";
export * from "./stream.ts";
export {
  BOOKING_STATUS_NAMES,
  BookingStatus,
  CANCEL_REASON_NAMES,
  CancelReason,
  REFUND_REASON_NAMES,
  RESOURCE_KIND_NAMES,
  RESOURCE_STATUS_NAMES,
  RefundReason,
  ResourceKind,
  ResourceStatus,
  STREAM_STATE_NAMES,
  StreamState,
  type ResourceParams,
  type ResourceTerms,
} from "./generated/protocol.ts";
export * from "./actions.ts";
export * from "./errors.ts";
export * from "./governance.ts";
export * from "./proposals.ts";
export * from "./subgraph.ts";
