/**
 * `/metrics` (Prometheus) and `/healthz`, on loopback only. Both are GETs without a body: a request
 * with a body is refused (413) and its connection closed unread, headers are capped at 8 KiB and a
 * request must arrive within 10 s, so that no client can make the node hold large or slow input.
 */
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
  const server = createServer({ maxHeaderSize: 8 * 1024, requestTimeout: 10_000 }, (request, response) => {
    const path = new URL(request.url ?? "/", "http://node").pathname;
    const hasBody = Number(request.headers["content-length"] ?? 0) > 0 || request.headers["transfer-encoding"];
    if (hasBody) {
      response
        .writeHead(413, { connection: "close", "content-type": "text/plain" })
        .end("request bodies are not accepted\n");
      request.destroy();
    } else if (request.method !== "GET") {
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
