/**
 * A GraphiQL page for the local subgraph that works offline: GraphiQL, its editor and its workers
 * come inlined in one HTML page from npm (`@graphql-yoga/render-graphiql`), with nothing loaded
 * from a CDN (graph-node's own playground is). The page queries `/graphql` on its own address,
 * which forwards to the subgraph, so the browser needs no cross-origin access to graph-node.
 */
import { type Server, createServer } from "node:http";

import { renderGraphiQL } from "@graphql-yoga/render-graphiql";

/** The first query the page shows. */
const DEFAULT_QUERY = `# The cheapest listed resources with their specs and provider.
# Every type and field is described in the Documentation Explorer (the book, top left); see also docs/integrators.md.
{
  resources(first: 5, where: { status: LISTED }, orderBy: pricePerHourUsd) {
    id
    kind
    region
    pricePerHourUsd
    metadata { name cloud instanceType vcpu memoryGib gpuModel gpuCount }
    provider { id profile { displayName } scoreBps ratingsCount }
  }
}
`;

/** Largest request body forwarded to graph-node. */
const MAX_BODY_BYTES = 1 << 20;

export interface GraphiqlServer {
  /** The page. */
  url: string;
  stop(): Promise<void>;
}

/** Serves the page on 127.0.0.1:`port` (`/`) and forwards `/graphql` to `subgraphUrl`. */
export function startGraphiql(port: number, subgraphUrl: string): Promise<GraphiqlServer> {
  const page = renderGraphiQL({
    title: "D-CloudX subgraph",
    endpoint: "/graphql",
    method: "POST",
    useGETForQueries: false,
    defaultQuery: DEFAULT_QUERY,
  });
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path === "/graphql" && request.method === "POST") {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          response.writeHead(413).end("Query too large");
          request.destroy();
        } else chunks.push(chunk);
      });
      request.on("end", () => {
        if (response.headersSent) return;
        fetch(subgraphUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: Buffer.concat(chunks),
        })
          .then(async (answer) => {
            response.writeHead(answer.status, { "content-type": "application/json" });
            response.end(Buffer.from(await answer.arrayBuffer()));
          })
          .catch((error: Error) => {
            response.writeHead(502, { "content-type": "application/json" });
            response.end(JSON.stringify({ errors: [{ message: `graph-node did not answer: ${error.message}` }] }));
          });
      });
    } else if (path === "/" && (request.method === "GET" || request.method === "HEAD")) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
      response.end(request.method === "GET" ? page : undefined);
      request.resume();
    } else {
      response
        .writeHead(404, { "content-type": "text/plain" })
        .end("Not found: the page is at /, queries go to /graphql");
      request.resume();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${port}/`,
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    );
  });
}
