/** What a page shows while loading, when there is nothing, and when a source is unreachable. */
import type { ReactNode } from "react";

export function Skeleton({ className = "h-4 w-full" }: { className?: string }) {
  return <div aria-hidden="true" className={`animate-pulse rounded bg-slate-800 ${className}`} />;
}

export function LoadingCards({ count = 6 }: { count?: number }) {
  return (
    <div role="status" aria-label="Loading" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {Array.from({ length: count }, (_, index) => (
        <div key={index} className="card space-y-3">
          <Skeleton className="h-5 w-2/3" />
          <Skeleton className="h-4 w-1/2" />
          <Skeleton className="h-4 w-full" />
        </div>
      ))}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="card text-center">
      <p className="font-medium">{title}</p>
      {children ? <div className="mt-2 text-sm text-slate-400">{children}</div> : null}
    </div>
  );
}

/** An unreachable chain, subgraph or IPFS gateway, with what to do about it. */
export function ErrorState({ title, error, retry }: { title: string; error?: unknown; retry?: () => void }) {
  const detail = error instanceof Error ? error.message : error ? String(error) : undefined;
  return (
    <div role="alert" className="card border-rose-900 bg-rose-950/40">
      <p className="font-medium text-rose-200">{title}</p>
      {detail ? <p className="mt-1 text-sm break-words text-rose-300/80">{detail}</p> : null}
      {retry ? (
        <button type="button" className="btn btn-secondary mt-3" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function SubgraphError({ error, retry }: { error: unknown; retry?: () => void }) {
  return <ErrorState title="The marketplace index (subgraph) is unreachable." error={error} retry={retry} />;
}
