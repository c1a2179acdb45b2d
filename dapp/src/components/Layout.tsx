import { type ReactNode, Suspense, lazy, useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useAccount, useSwitchChain } from "wagmi";

import { config } from "../config.ts";
import { useLiveEvents } from "../lib/live.ts";
import { chain } from "../wagmi.ts";
import { ErrorState, LoadingCards } from "./States.tsx";

const WalletButton = lazy(() => import("./Wallet.tsx"));

const LINKS = [
  { to: "/", label: "Marketplace", end: true },
  { to: "/bookings", label: "My bookings" },
  { to: "/provider", label: "Provider console" },
  { to: "/governance", label: "Governance" },
  { to: "/analytics", label: "Analytics" },
];

function WrongNetwork() {
  const { isConnected, chainId } = useAccount();
  const { switchChain, isPending } = useSwitchChain();
  if (!isConnected || chainId === chain.id) return null;
  return (
    <div role="alert" className="border-b border-amber-700 bg-amber-950/60 px-4 py-2 text-sm">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2">
        <span>Your wallet is on another network. D-CloudX runs on {chain.name}.</span>
        <button type="button" className="btn" disabled={isPending} onClick={() => switchChain({ chainId: chain.id })}>
          Switch to {chain.name}
        </button>
      </div>
    </div>
  );
}

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby="page-title" className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 id="page-title" className="text-2xl font-semibold">
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * The connect button outside RainbowKit's scope: RainbowKit (its modals, styles and wallet list)
 * loads when the visitor clicks it, or at once when a wallet is already connected.
 */
function LazyWalletButton() {
  const { status } = useAccount();
  const [requested, setRequested] = useState(false);
  // "connecting" is also the state while wagmi looks for an earlier connection on load and finds none.
  if (!requested && status !== "connected" && status !== "reconnecting") {
    return (
      <button type="button" className="btn" onClick={() => setRequested(true)}>
        Connect Wallet
      </button>
    );
  }
  return (
    <Suspense
      fallback={
        <button type="button" className="btn" disabled>
          Connect Wallet
        </button>
      }
    >
      <WalletButton open={requested} />
    </Suspense>
  );
}

/** `wallet`: the connect button, when RainbowKit is already loaded (see Wallet.tsx). */
export function Layout({ wallet }: { wallet?: ReactNode }) {
  useLiveEvents();
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <header className="border-b border-slate-800">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <NavLink to="/" className="text-lg font-bold text-slate-100 no-underline">
            D-CloudX
          </NavLink>
          {wallet ?? <LazyWalletButton />}
        </div>
        {/* Every section stays in view: on a narrow screen the links wrap onto a second row. */}
        <nav aria-label="Main" className="mx-auto max-w-6xl px-4 pb-2">
          <ul className="flex flex-wrap gap-1 text-sm">
            {LINKS.map((link) => (
              <li key={link.to}>
                <NavLink
                  to={link.to}
                  end={link.end}
                  className={({ isActive }) =>
                    `block rounded-md px-2.5 py-1.5 whitespace-nowrap sm:px-3 ${isActive ? "bg-slate-800 text-white" : "text-slate-400 hover:text-slate-100"}`
                  }
                >
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <WrongNetwork />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">
        {config.deployment ? (
          <Suspense fallback={<LoadingCards />}>
            <Outlet />
          </Suspense>
        ) : (
          <ErrorState title="D-CloudX is not deployed on this build's network. Rebuild the dApp after deploying (npm run deploy:local), or set VITE_NETWORK." />
        )}
      </main>
      <footer className="border-t border-slate-800 px-4 py-3 text-center text-xs text-slate-500">
        {chain.name} · chain {chain.id} · payments held in escrow and streamed per SLA period
      </footer>
    </div>
  );
}
