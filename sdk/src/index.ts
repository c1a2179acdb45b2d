export * from "./deployments.ts";
export * from "./metadata.ts";
export * from "./sla.ts";
export * from "./access.ts";
export * from "./verifier.ts";
