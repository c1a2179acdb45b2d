import { useState } from "react";

import { shortenAddress } from "../lib/format.ts";

/** A shortened address with its full value on hover and a copy button. */
export function Address({ address, className = "" }: { address: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(address);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <span className={`inline-flex items-center gap-1 font-mono ${className}`}>
      <span title={address}>{shortenAddress(address)}</span>
      <button
        type="button"
        onClick={copy}
        className="rounded px-1 text-xs text-slate-400 hover:text-slate-100"
        aria-label={`Copy address ${address}`}
      >
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}
