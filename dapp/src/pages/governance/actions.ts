/** What a proposal does, built from the templates' form values and decoded for display: the sdk's governance module. */
export * from "@d-cloudx/sdk/governance";
