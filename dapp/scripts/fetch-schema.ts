/**
 * `npm run schema -w dapp`: writes schema/subgraph.graphql, the GraphQL API that graph-node serves
 * for the subgraph (entities plus the filters, ordering and _meta it derives), by introspecting a
 * running graph-node (SUBGRAPH_URL, default the local stack). The browser tests check that the
 * committed file still matches the live API.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { buildClientSchema, getIntrospectionQuery, printSchema } from "graphql";

const OUTPUT = fileURLToPath(new URL("../schema/subgraph.graphql", import.meta.url));

/** The subgraph's API schema, printed as SDL. */
export async function fetchSubgraphSchema(url: string): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const { data, errors } = (await response.json()) as { data?: unknown; errors?: unknown };
  if (!data) throw new Error(`Introspection failed: ${JSON.stringify(errors)}`);
  return `${printSchema(buildClientSchema(data as never))}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.SUBGRAPH_URL ?? "http://127.0.0.1:8000/subgraphs/name/d-cloudx";
  writeFileSync(OUTPUT, await fetchSubgraphSchema(url));
  console.log(`Wrote ${OUTPUT} from ${url}`);
}
