import { bases } from "multiformats/basics";
import type { MultibaseDecoder } from "multiformats/bases/interface";
import { CID } from "multiformats/cid";

import { ApiError } from "./errors.ts";

// Kubo accepts a CID in any multibase (base32, base58btc, base36, …), not only the two defaults.
const decoders = new Map<string, MultibaseDecoder<string>>(
  Object.values(bases).map((base) => [base.prefix, base.decoder]),
);
const anyBase: MultibaseDecoder<string> = {
  decode(text) {
    const prefix = String.fromCodePoint(text.codePointAt(0) ?? 0);
    const decoder = decoders.get(prefix);
    if (!decoder) throw new Error(`unknown multibase prefix ${JSON.stringify(prefix)}`);
    return decoder.decode(text);
  },
};

export function parseCid(text: string): CID {
  return CID.parse(text, anyBase);
}

/** `<cid>/a/b` split into its root CID and the names below it. */
export interface IpfsPath {
  cid: CID;
  segments: string[];
}

/** Parses the `arg` of an RPC call: `<cid>`, `<cid>/path` or `/ipfs/<cid>/path`, as Kubo does. */
export function parseIpfsPath(input: string): IpfsPath {
  const text = input.startsWith("/ipfs/") ? input.slice("/ipfs/".length) : input;
  const [root = "", ...segments] = text.split("/");
  try {
    return { cid: parseCid(root), segments: segments.filter((segment) => segment !== "") };
  } catch (err) {
    throw new ApiError(`invalid path ${JSON.stringify(input)}: invalid cid: ${(err as Error).message}`, 500, 0);
  }
}

/** The path string the UnixFS exporter resolves (it only reads the two default multibases). */
export function exporterPath({ cid, segments }: IpfsPath): string {
  return [cid.toString(), ...segments].join("/");
}
