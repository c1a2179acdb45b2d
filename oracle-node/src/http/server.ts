/** `/metrics` (Prometheus) and `/healthz`, on loopback only. */
import { type Server, createServer } from "node:http";

import type { Registry } from "prom-client";

export interface Health {
  ok: boolean;
  [detail: string]: unknown;
}

export function startHttpServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => Health,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://node").pathname;
    if (request.method !== "GET") {
      response.writeHead(405).end();
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (path === "/healthz") {
      const status = health();
      response.writeHead(status.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(status));
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}
