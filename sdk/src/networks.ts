/**
 * The deployment records the package ships: one `deployments/<network>.json` per public network
 * D-CloudX is deployed to (copied from the repository's deployments/ when the package is built), and
 * any other deployment file a caller names (a local chain's).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { type Deployment, parseDeployment } from "./deployments.ts";

/** Local chains' records change with every deployment: never shipped. */
const LOCAL = /^(localhost|hardhat.*)\.json$/;

/** Where the shipped records are: the package's deployments/, or the repository's in the monorepo. */
function shippedDirectory(): string {
  const packaged = fileURLToPath(new URL("./deployments/", import.meta.url));
  return existsSync(packaged) ? packaged : fileURLToPath(new URL("../../deployments/", import.meta.url));
}

/** The public networks this package has deployment records for. */
export function supportedNetworks(): string[] {
  const directory = shippedDirectory();
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith(".json") && !LOCAL.test(file))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

/**
 * A deployment by public network name (`supportedNetworks()`) or by the path of a deployment file.
 * Throws in words when neither exists or the document is not a valid deployment.
 */
export function loadDeployment(networkOrFile: string): Deployment {
  const file = networkOrFile.endsWith(".json")
    ? networkOrFile
    : fileURLToPath(new URL(`${networkOrFile}.json`, `file://${shippedDirectory()}/`));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    const known = supportedNetworks();
    throw new Error(
      `No deployment "${networkOrFile}": give a deployment file (e.g. deployments/localhost.json)` +
        (known.length ? ` or one of ${known.join(", ")}.` : "."),
    );
  }
  return parseDeployment(JSON.parse(text), file);
}
