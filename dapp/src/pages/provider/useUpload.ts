/** Publishing a document to IPFS before a transaction: progress, and the reason when the node refuses. */
import { useCallback, useState } from "react";

import { addJson } from "../../lib/ipfs.ts";

export function useUpload() {
  const [uploading, setUploading] = useState(false);
  const [formError, setFormError] = useState<string>();
  /** The document's CID, or undefined (with `formError` set) when it could not be published. */
  const upload = useCallback(async (document: unknown): Promise<string | undefined> => {
    setFormError(undefined);
    setUploading(true);
    try {
      return await addJson(document);
    } catch (error) {
      setFormError(error instanceof Error ? error.message : String(error));
      return undefined;
    } finally {
      setUploading(false);
    }
  }, []);
  return { uploading, formError, setFormError, upload };
}
