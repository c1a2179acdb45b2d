/** A loopback HTTP server for the stack's small pages (the dApp redirect, GraphiQL). */
import { type RequestListener, createServer } from "node:http";

export interface LocalServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Closes the server and every connection still open to it. */
  stop(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1:`port`; rejects if the port cannot be bound. */
export function serveLocal(port: number, handler: RequestListener): Promise<LocalServer> {
  const server = createServer(handler);
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
