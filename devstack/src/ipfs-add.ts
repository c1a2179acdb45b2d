/**
 * Adding files to IPFS through the Kubo RPC API (`/api/v0/add`), with the flags that give the same
 * CIDs as `ipfs add --cid-version 1`.
 */

export interface IpfsFile {
  /** Path inside the added tree, e.g. "assets/index.js". */
  path: string;
  content: string | Uint8Array;
}

/**
 * Adds `files` and pins them. Returns the CID of the single file, or with `wrap` the CID of a
 * directory holding all of them.
 */
export async function ipfsAdd(apiUrl: string, files: IpfsFile[], wrap = false): Promise<string> {
  const form = new FormData();
  for (const { path, content } of files) {
    form.append(
      "file",
      new Blob([typeof content === "string" ? content : new Uint8Array(content)]),
      encodeURIComponent(path),
    );
  }
  const query = `cid-version=1&pin=true${wrap ? "&wrap-with-directory=true" : ""}`;
  const response = await fetch(`${apiUrl}/api/v0/add?${query}`, { method: "POST", body: form });
  const text = await response.text();
  if (!response.ok) throw new Error(`IPFS add failed (${response.status}): ${text}`);
  // One JSON line per file and directory; the wrapping directory comes last.
  const lines = text.trim().split("\n");
  return (JSON.parse(lines[lines.length - 1]!) as { Hash: string }).Hash;
}
