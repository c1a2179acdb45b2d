export { loadConfig, ConfigError, Secret, type Config } from "./config.ts";
export { OracleNode, type NodeOptions } from "./node.ts";
export { LocalProvisioner } from "./provisioners/local.ts";
export type * from "./provisioners/types.ts";
export { ProvisionerError } from "./provisioners/types.ts";
export {
  aggregate,
  percentile,
  periodBounds,
  periodCount,
  type Sample,
  type PeriodFigures,
} from "./measure/aggregate.ts";
