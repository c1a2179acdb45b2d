/**
 * IPFS reads go through the configured gateway and stop at a size cap; metadata is checked by the
 * sdk's validator (the one schema the subgraph's checker is generated from) before anything is
 * shown. `useResourceMetadata` and `useProviderProfile` cache each document by CID, so a screen
 * fetches a document once however many of its parts show it. Writes (new listings) go to the
 * configured IPFS RPC API.
 */
import { useQuery } from "@tanstack/react-query";
import {
  MAX_METADATA_BYTES,
  type MetadataParseResult,
  type ProviderProfile,
  type ResourceMetadata,
  isCid,
  parseProviderProfile,
  parseResourceMetadata,
} from "@d-cloudx/sdk/metadata";

import { config } from "../config.ts";

export function gatewayUrl(cid: string): string {
  return `${config.ipfsGatewayUrl}/ipfs/${cid}`;
}

/** Reads at most `maxBytes` of a CID from the gateway; larger documents are refused, not truncated. */
export async function fetchIpfs(cid: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  if (!isCid(cid)) throw new Error(`"${cid.slice(0, 80)}" is not an IPFS CID`);
  let response: Response;
  try {
    response = await fetch(gatewayUrl(cid), { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error("The IPFS gateway is unreachable", { cause: error });
  }
  if (!response.ok || !response.body) throw new Error(`The IPFS gateway answered ${response.status} for ${cid}`);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`The document is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function fetchChecked<T>(
  cid: string,
  parse: (bytes: Uint8Array) => MetadataParseResult<T>,
  signal?: AbortSignal,
): Promise<MetadataParseResult<T>> {
  try {
    return parse(await fetchIpfs(cid, MAX_METADATA_BYTES, signal));
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, errors: [error instanceof Error ? error.message : String(error)] };
  }
}

/** A document checked by `parse`, fetched once per CID (documents never change under a CID). */
function useCheckedDocument<T>(
  kind: string,
  cid: string | null | undefined,
  parse: (bytes: Uint8Array) => MetadataParseResult<T>,
) {
  return useQuery({
    queryKey: [kind, cid],
    queryFn: ({ signal }) => fetchChecked(cid!, parse, signal),
    enabled: Boolean(cid),
    staleTime: Infinity,
  });
}

/** A resource's metadata document. */
export function useResourceMetadata(cid: string | null | undefined) {
  return useCheckedDocument<ResourceMetadata>("resource-metadata", cid, parseResourceMetadata);
}

/** A provider's profile document. */
export function useProviderProfile(cid: string | null | undefined) {
  return useCheckedDocument<ProviderProfile>("provider-profile", cid, parseProviderProfile);
}

/** Adds a JSON document to IPFS through the RPC API and returns its CID (CIDv1, pinned). */
export async function addJson(document: unknown): Promise<string> {
  const body = new FormData();
  body.append("file", new Blob([JSON.stringify(document)], { type: "application/json" }), "metadata.json");
  let response: Response;
  try {
    response = await fetch(`${config.ipfsApiUrl}/api/v0/add?cid-version=1&pin=true`, { method: "POST", body });
  } catch (error) {
    throw new Error(`The IPFS node at ${config.ipfsApiUrl} is unreachable; nothing was published`, { cause: error });
  }
  if (!response.ok) throw new Error(`The IPFS node refused the document (${response.status})`);
  const { Hash } = (await response.json()) as { Hash?: string };
  if (!Hash || !isCid(Hash)) throw new Error("The IPFS node answered without a CID");
  return Hash;
}
