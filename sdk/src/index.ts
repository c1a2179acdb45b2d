export * from "./deployments.ts";
export * from "./sla.ts";
