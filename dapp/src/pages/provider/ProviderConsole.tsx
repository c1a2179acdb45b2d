/**
 * The provider console: register a profile, list and manage resources, follow incoming bookings,
 * withdraw earnings, manage the bond and read the SLA record. Registration is read from the chain
 * (the subgraph may lag a block); lists and history come from the subgraph.
 */
import { useQuery } from "@apollo/client/react";
import { ConnectButton } from "@rainbow-me/rainbowkit";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { Address as Hex } from "viem";
import { useAccount } from "wagmi";

import { Address } from "../../components/Address.tsx";
import { Page } from "../../components/Layout.tsx";
import { providerName } from "../../components/ProviderName.tsx";
import { ErrorState, LoadingCards } from "../../components/States.tsx";
import { useReadResourceMarketplaceProviderRegisteredAt } from "../../generated/contracts.ts";
import { formatUsd } from "../../lib/format.ts";
import { Bonds } from "./Bonds.tsx";
import { Earnings } from "./Earnings.tsx";
import { IncomingBookings } from "./IncomingBookings.tsx";
import { ListResourceForm } from "./ListingEditors.tsx";
import { MyResources } from "./MyResources.tsx";
import { ProfileEditor } from "./ProfileEditor.tsx";
import { ProviderConsoleQuery } from "./queries.ts";
import { SlaRecord } from "./SlaRecord.tsx";

const TABS = [
  { id: "resources", label: "Resources" },
  { id: "bookings", label: "Bookings" },
  { id: "earnings", label: "Earnings" },
  { id: "bond", label: "Bond" },
  { id: "sla", label: "SLA record" },
] as const;
type Tab = (typeof TABS)[number]["id"];

function Console({ address }: { address: Hex }) {
  const [params] = useSearchParams();
  const tab: Tab = TABS.some((item) => item.id === params.get("tab")) ? (params.get("tab") as Tab) : "resources";
  const [editingProfile, setEditingProfile] = useState(false);
  const [listing, setListing] = useState(false);
  const [listed, setListed] = useState<bigint>();
  const { data } = useQuery(ProviderConsoleQuery, { variables: { provider: address.toLowerCase() } });
  const provider = data?.provider;
  const displayName = providerName(provider);

  return (
    <div className="space-y-6">
      <div className="card flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium break-words">{displayName ?? "Your provider profile"}</p>
          <p className="text-sm text-slate-400">
            <Address address={address} /> · <Link to={`/providers/${address}`}>public page</Link>
            {provider
              ? ` · ${provider.activeResourceCount} listed · ${provider.bookingCount} bookings · ${formatUsd(provider.volumeUsd)} volume`
              : ""}
          </p>
        </div>
        <button
          type="button"
          className="btn btn-secondary"
          aria-expanded={editingProfile}
          disabled={!provider?.profileCid}
          onClick={() => setEditingProfile(!editingProfile)}
        >
          Edit profile
        </button>
      </div>
      {editingProfile && provider?.profileCid ? (
        <ProfileEditor profileCid={provider.profileCid} onDone={() => setEditingProfile(false)} />
      ) : null}

      <nav aria-label="Provider console sections" className="overflow-x-auto">
        <ul className="flex gap-1 border-b border-slate-800 text-sm">
          {TABS.map((item) => (
            <li key={item.id}>
              <Link
                to={{ search: `?tab=${item.id}` }}
                replace
                aria-current={tab === item.id ? "page" : undefined}
                className={`block rounded-t-md px-3 py-2 whitespace-nowrap no-underline ${tab === item.id ? "bg-slate-800 text-white" : "text-slate-400 hover:text-slate-100"}`}
              >
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>

      <section aria-labelledby="section-title" className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="section-title" className="text-xl font-semibold">
            {TABS.find((item) => item.id === tab)!.label}
          </h2>
          {tab === "resources" && !listing ? (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setListing(true);
                setListed(undefined);
              }}
            >
              List a resource
            </button>
          ) : null}
        </div>
        {tab === "resources" ? (
          <>
            {listing ? (
              <ListResourceForm
                onListed={(resourceId) => {
                  setListing(false);
                  setListed(resourceId);
                }}
                onCancel={() => setListing(false)}
              />
            ) : null}
            {listed !== undefined && !listing ? (
              <p role="status" className="text-sm text-emerald-300">
                Resource #{listed.toString()} is listed. Its metadata appears once the index has read it from IPFS.
              </p>
            ) : null}
            <MyResources provider={address} />
          </>
        ) : null}
        {tab === "bookings" ? <IncomingBookings provider={address} /> : null}
        {tab === "earnings" ? <Earnings provider={address} /> : null}
        {tab === "bond" ? <Bonds provider={address} /> : null}
        {tab === "sla" ? <SlaRecord address={address} provider={provider} /> : null}
      </section>
    </div>
  );
}

export default function ProviderConsole() {
  const { address, isConnected } = useAccount();
  const registeredAt = useReadResourceMarketplaceProviderRegisteredAt({
    args: address ? [address] : undefined,
    query: { enabled: Boolean(address) },
  });

  let body;
  if (!isConnected || !address) {
    body = (
      <div className="card space-y-3">
        <p className="font-medium">Connect your wallet to use the provider console.</p>
        <p className="text-sm text-slate-400">
          Providers register a profile, list resources and receive payments with the connected account.
        </p>
        <ConnectButton />
      </div>
    );
  } else if (registeredAt.error) {
    body = (
      <ErrorState
        title="The chain is unreachable: your provider registration cannot be read."
        error={registeredAt.error}
        retry={() => registeredAt.refetch()}
      />
    );
  } else if (registeredAt.data === undefined) {
    body = <LoadingCards count={2} />;
  } else if (registeredAt.data === 0) {
    body = <ProfileEditor onDone={() => registeredAt.refetch()} />;
  } else {
    body = <Console address={address} />;
  }
  return <Page title="Provider console">{body}</Page>;
}
