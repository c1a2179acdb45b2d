import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";

import { config } from "./config.ts";

export const apolloClient = new ApolloClient({
  link: new HttpLink({ uri: config.subgraphUrl }),
  cache: new InMemoryCache(),
  defaultOptions: {
    watchQuery: { fetchPolicy: "cache-and-network", notifyOnNetworkStatusChange: true },
  },
});
