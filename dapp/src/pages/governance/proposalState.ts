/** A proposal's state as the Governor defines it: the sdk's proposals module. */
export * from "@d-cloudx/sdk/proposals";
