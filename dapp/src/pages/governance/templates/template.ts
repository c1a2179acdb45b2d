/** What a proposal template shares: the deployment's contracts in, the built calls (or the problem) out. */
import { useEffect } from "react";

import type { Built, KnownContract } from "../actions.ts";

export interface TemplateProps {
  contracts: KnownContract[];
  onBuilt: (built: Built) => void;
}

/** Hands the template's result to the page whenever it changes. */
export function useReport(onBuilt: (built: Built) => void, built: Built) {
  useEffect(() => onBuilt(built), [onBuilt, built]);
}
