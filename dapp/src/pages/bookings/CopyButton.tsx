import { useState } from "react";

/** Copies a value to the clipboard; says so for a moment (and to screen readers). */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<boolean | "failed">(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" onClick={copy} className="btn btn-secondary px-2 py-1 text-xs" aria-label={`Copy ${label}`}>
      <span aria-live="polite">{copied === true ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}</span>
    </button>
  );
}
