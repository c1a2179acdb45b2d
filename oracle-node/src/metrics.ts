/** Prometheus metrics of one node, in their own registry (served on /metrics). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "oracle_process_" });
  const registers = [registry];
  return {
    registry,
    bookingsWatched: new Gauge({
      name: "oracle_bookings_watched",
      help: "Bookings this node serves, by stage",
      labelNames: ["stage"] as const,
      registers,
    }),
    provisionLatency: new Histogram({
      name: "oracle_provision_latency_seconds",
      help: "From seeing BookingRequested to the confirmation being mined",
      buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
      registers,
    }),
    provisionFailures: new Counter({
      name: "oracle_provision_failures_total",
      help: "Failed provisioning attempts",
      registers,
    }),
    probes: new Counter({
      name: "oracle_probes_total",
      help: "Health probes, by result",
      labelNames: ["result"] as const,
      registers,
    }),
    reportsSent: new Counter({
      name: "oracle_reports_sent_total",
      help: "SLA period reports submitted on chain",
      registers,
    }),
    renewalsSent: new Counter({
      name: "oracle_renewals_sent_total",
      help: "renew calls sent for bookings whose renewal policy allowed a renewal",
      registers,
    }),
    bookingsSuspended: new Counter({
      name: "oracle_bookings_suspended_total",
      help: "machines suspended at the end of their booking, kept for the grace period",
      registers,
    }),
    bookingsResumed: new Counter({
      name: "oracle_bookings_resumed_total",
      help: "suspended machines resumed after an extension or renewal in grace",
      registers,
    }),
    reportsSigned: new Counter({
      name: "oracle_reports_signed_total",
      help: "SLA period reports this node signed",
      registers,
    }),
    rpcErrors: new Counter({
      name: "oracle_rpc_errors_total",
      help: "Failed JSON-RPC requests, by kind (http status, timeout, network)",
      labelNames: ["kind"] as const,
      registers,
    }),
    txs: new Counter({
      name: "oracle_transactions_total",
      help: "Transactions, by event (sent, bumped, mined, reverted, failed)",
      labelNames: ["event"] as const,
      registers,
    }),
    walletBalance: new Gauge({
      name: "oracle_wallet_balance_ether",
      help: "Balance of the node's account, in ether",
      registers,
    }),
    headBlock: new Gauge({ name: "oracle_chain_head_block", help: "Latest block seen", registers }),
    cursorBlock: new Gauge({ name: "oracle_cursor_block", help: "Last block processed", registers }),
    statementsSigned: new Counter({
      name: "oracle_statements_signed_total",
      help: "Statements (reports, attestations) this node signed, each once",
      registers,
    }),
    networkPeers: new Gauge({ name: "oracle_network_peers", help: "Connected peers", registers }),
    networkBanned: new Gauge({ name: "oracle_network_banned_peers", help: "Peers banned for misbehaving", registers }),
    networkMessages: new Counter({
      name: "oracle_network_messages_total",
      help: "Gossip messages, by direction and result (accepted, or why refused)",
      labelNames: ["direction", "result"] as const,
      registers,
    }),
    reorgs: new Counter({ name: "oracle_reorgs_total", help: "Chain reorganisations rewound", registers }),
    storageUsed: new Gauge({
      name: "oracle_storage_used_bytes",
      help: "Bytes stored in each active booking's bucket",
      labelNames: ["booking_id"] as const,
      registers,
    }),
    storageOverCapacity: new Gauge({
      name: "oracle_storage_over_capacity_bookings",
      help: "Active object storage bookings storing more than they booked",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
