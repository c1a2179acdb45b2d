import { useQuery } from "@apollo/client/react";
import { Link, useParams } from "react-router";
import { isAddress } from "viem";

import { Address } from "../../components/Address.tsx";
import { Page } from "../../components/Layout.tsx";
import { providerName } from "../../components/ProviderName.tsx";
import { EmptyState, ErrorState, LoadingCards, Skeleton, SubgraphError } from "../../components/States.tsx";
import { graphql } from "../../generated/gql/index.ts";
import { formatDate } from "../../lib/format.ts";
import { useProviderProfile } from "../../lib/ipfs.ts";
import { useNow } from "../../lib/useNow.ts";
import { ResourceCard } from "../marketplace/ResourceCard.tsx";
import { ProviderRecord } from "./ProviderRecord.tsx";

const ProviderPageQuery = graphql(`
  query ProviderPage($id: ID!) {
    provider(id: $id) {
      ...ProviderRecordFields
      ...ProviderNameFields
      registered
      registeredAt
      profileCid
      resources(first: 100, orderBy: listedAt, orderDirection: desc, where: { status_not: DELISTED }) {
        ...ResourceCardFields
      }
      ratings(first: 10, orderBy: timestamp, orderDirection: desc) {
        id
        score
        timestamp
        booking {
          id
        }
        consumer {
          id
        }
      }
    }
  }
`);

/** Only https links leave the page; anything else in an untrusted profile is shown as text. */
function SafeLink({ text }: { text: string }) {
  return text.startsWith("https://") ? (
    <a href={text} target="_blank" rel="noopener noreferrer nofollow" className="break-all">
      {text}
    </a>
  ) : (
    <span className="break-all">{text}</span>
  );
}

/** What the profile document says beyond the name (which the subgraph indexes). */
function Profile({ cid }: { cid: string }) {
  const profile = useProviderProfile(cid);
  if (profile.isLoading) return <Skeleton className="h-16 w-full" />;
  if (!profile.data) return <ErrorState title="The profile could not be read from IPFS." error={profile.error} />;
  if (!profile.data.ok) {
    return (
      <div role="alert" className="text-sm text-amber-200">
        <p>This provider's profile document is not valid:</p>
        <ul className="mt-1 list-disc pl-5 break-words">
          {profile.data.errors.slice(0, 10).map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      </div>
    );
  }
  const { description, website, contact } = profile.data.value;
  if (!description && !website && !contact) return <p className="text-sm text-slate-400">No details given.</p>;
  return (
    <div className="space-y-2 text-sm">
      {description ? <p className="whitespace-pre-line text-slate-300">{description}</p> : null}
      {website ? (
        <p>
          Website: <SafeLink text={website} />
        </p>
      ) : null}
      {contact ? (
        <p>
          Contact: <SafeLink text={contact} />
        </p>
      ) : null}
    </div>
  );
}

export default function ProviderPage() {
  const { address = "" } = useParams();
  const valid = isAddress(address, { strict: false });
  const now = useNow(60_000);
  const { data, loading, error, refetch } = useQuery(ProviderPageQuery, {
    variables: { id: address.toLowerCase() },
    skip: !valid,
  });
  const provider = data?.provider;

  if (!valid) return <ErrorState title={`"${address.slice(0, 60)}" is not an address.`} />;
  if (error && !data) return <SubgraphError error={error} retry={() => void refetch()} />;
  if (loading && !data) return <LoadingCards count={3} />;
  if (!provider?.registered) {
    return (
      <EmptyState title="This address is not a registered provider.">
        <Link to="/">Back to the marketplace</Link>
      </EmptyState>
    );
  }

  return (
    <Page title={providerName(provider) ?? "Provider"}>
      <p className="-mt-4 text-sm text-slate-400">
        <Address address={provider.id} />
        {provider.registeredAt ? ` · registered ${formatDate(provider.registeredAt)}` : null}
      </p>
      <div className="grid gap-6 md:grid-cols-2">
        <section className="card space-y-3" aria-labelledby="profile-heading">
          <h2 id="profile-heading" className="text-lg font-semibold">
            Profile
          </h2>
          {provider.profileCid ? <Profile cid={provider.profileCid} /> : <p className="text-sm">No profile.</p>}
        </section>
        <section className="card space-y-3" aria-labelledby="record-heading">
          <h2 id="record-heading" className="text-lg font-semibold">
            Record
          </h2>
          <ProviderRecord provider={provider} />
        </section>
      </div>
      <section className="space-y-3" aria-labelledby="resources-heading">
        <h2 id="resources-heading" className="text-lg font-semibold">
          Resources
        </h2>
        {provider.resources.length ? (
          <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
            {provider.resources.map((resource) => (
              <ResourceCard key={resource.id} resource={resource} now={now} />
            ))}
          </ul>
        ) : (
          <EmptyState title="No resources listed." />
        )}
      </section>
      <section className="card space-y-3" aria-labelledby="ratings-heading">
        <h2 id="ratings-heading" className="text-lg font-semibold">
          Recent ratings
        </h2>
        {provider.ratings.length ? (
          <ul className="divide-y divide-slate-800 text-sm">
            {provider.ratings.map((rating) => (
              <li key={rating.id} className="flex flex-wrap justify-between gap-2 py-2">
                <span aria-label={`${rating.score} of 5 stars`}>
                  {"★".repeat(rating.score)}
                  <span className="text-slate-600">{"★".repeat(5 - rating.score)}</span>
                </span>
                <span className="text-slate-400">
                  booking #{rating.booking.id} · {formatDate(rating.timestamp)}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-400">No ratings yet.</p>
        )}
      </section>
    </Page>
  );
}
