/**
 * Writes the JSON Schemas of the listing metadata, generated from the zod schemas in
 * src/metadata.ts, to sdk/schema/. Run after changing the schema: `npm run schema -w sdk`
 * (a test fails while the committed files are out of date).
 */
import { mkdirSync, writeFileSync } from "node:fs";

import { metadataJsonSchemas } from "../src/metadata.ts";

const directory = new URL("../schema/", import.meta.url);
mkdirSync(directory, { recursive: true });
for (const [file, schema] of Object.entries(metadataJsonSchemas())) {
  writeFileSync(new URL(file, directory), JSON.stringify(schema, null, 2) + "\n");
  console.log(`Wrote sdk/schema/${file}`);
}
