export * from "./deployments.ts";
export * from "./metadata.ts";
export * from "./sla.ts";
