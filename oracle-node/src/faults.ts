/**
 * Fault injection for the crash tests: ORACLE_CRASH_AT=<point>:<key prefix> kills the process
 * (SIGKILL: no cleanup, like a power cut) at that point of the first matching action. Points:
 * `after-sign` and `after-send` (a transaction, by idempotency key), `after-statement` (a signed
 * statement stored but not yet announced, by topic), `after-cloud` (a booking's machine paused,
 * resumed or deprovisioned but its new stage not yet stored: `pause-<bookingId>`, `resume-…`,
 * `deprovision-…`).
 */
export function crashPoint(point: string, key: string): void {
  const [at, prefix] = (process.env.ORACLE_CRASH_AT ?? "").split(":");
  if (at === point && prefix !== undefined && key.startsWith(prefix)) process.kill(process.pid, "SIGKILL");
}
