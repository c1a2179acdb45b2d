/** Whatever a write or read threw, as one sentence a user can act on: the sdk's `decodeError`. */
export { type DecodedError, decodeError, decodeRevertData } from "@d-cloudx/sdk/errors";
