/**
 * Runs an oracle node: `npm start -w oracle-node`. Configuration from the file named by
 * ORACLE_CONFIG and the environment (see README.md); stops cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { OracleNode } from "./node.ts";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const log = createLogger(config.log.level);
let node: OracleNode;
try {
  node = await OracleNode.start(config, { logger: log });
} catch (error) {
  log.fatal({ error: (error as Error).message }, "oracle node could not start");
  process.exit(1);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "stopping");
    node.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
