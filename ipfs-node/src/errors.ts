import { CID } from "multiformats/cid";

/**
 * An error answered in Kubo's shape: `{"Message", "Code", "Type": "error"}`. Code 0 (HTTP 500) is
 * Kubo's "normal" error, which it uses for unknown CIDs and paths too; code 1 is a client error.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;

  constructor(message: string, status = 500, code = status >= 400 && status < 500 ? 1 : 0) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** A block this node does not hold. It never asks the network, so this is final, like an offline Kubo. */
export class MissingBlockError extends Error {
  readonly cid: CID;

  constructor(cid: CID) {
    super(`block was not found locally (offline): ipld: could not find ${cid}`);
    this.name = "MissingBlockError";
    this.cid = cid;
  }
}

/** A path that does not exist under a CID whose blocks are all here. */
export class PathNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathNotFoundError";
  }
}

/** `NotFoundError` is the name both the blockstore and the UnixFS exporter give to "absent". */
export function isNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === "NotFoundError";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
