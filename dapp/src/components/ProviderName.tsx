/** Providers go by the display name of their profile (as the subgraph indexed it), or by address. */
import { Link } from "react-router";

import { graphql } from "../generated/gql/index.ts";
import type { ProviderNameFieldsFragment } from "../generated/gql/graphql.ts";
import { shortenAddress } from "../lib/format.ts";

export const ProviderNameFields = graphql(`
  fragment ProviderNameFields on Provider {
    id
    profile {
      status
      displayName
    }
  }
`);

type Named = Pick<ProviderNameFieldsFragment, "profile">;

/** The provider's display name, when its current profile document is valid. */
export function providerName(provider: Named | null | undefined): string | undefined {
  const profile = provider?.profile;
  return profile?.status === "VALID" ? (profile.displayName ?? undefined) : undefined;
}

/** The provider's name (or shortened address), linking to its page. Untrusted text: rendered as text. */
export function ProviderName({
  provider,
  className = "",
}: {
  provider: ProviderNameFieldsFragment;
  className?: string;
}) {
  const name = providerName(provider);
  return (
    <Link
      to={`/providers/${provider.id}`}
      className={`break-words ${name ? "" : "font-mono"} ${className}`}
      title={provider.id}
    >
      {name ?? shortenAddress(provider.id)}
    </Link>
  );
}
