/** The node's own health probes: a TCP connect or an HTTP GET, timed. */
import { request } from "node:http";
import { connect } from "node:net";

import type { ProbeResult, ProbeTarget } from "../provisioners/types.ts";

export type { ProbeResult };
export type NetworkProbeTarget = Extract<ProbeTarget, { kind: "tcp" | "http" }>;

/**
 * Probes a booking once, or returns undefined when this node cannot (an object storage target whose
 * adapter, with its probe-only credential, this node does not have). Never throws.
 */
export type Prober = (bookingId: string, target: ProbeTarget) => Promise<ProbeResult | undefined>;

/** Probes `target` once; never throws. HTTP counts as up on any 2xx or 3xx answer. */
export function probe(target: NetworkProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const done = (ok: boolean): ProbeResult => ({ ok, latencyMs: Math.max(0, Math.round(performance.now() - started)) });
  return new Promise((resolve) => {
    if (target.kind === "tcp") {
      const socket = connect({ host: target.host, port: target.port, timeout: timeoutMs });
      socket.once("connect", () => {
        socket.destroy();
        resolve(done(true));
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(done(false));
      });
      socket.once("error", () => resolve(done(false)));
      return;
    }
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: target.path ?? "/",
        method: "GET",
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        response.once("end", () => resolve(done(status >= 200 && status < 400)));
        response.once("error", () => resolve(done(false)));
      },
    );
    req.once("timeout", () => req.destroy(new Error("timeout")));
    req.once("error", () => resolve(done(false)));
    req.end();
  });
}
