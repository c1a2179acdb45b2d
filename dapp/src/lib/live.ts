/**
 * Live updates, the dApp's one way of following the chain: a single subscription to the D-CloudX
 * contracts' logs (eth_subscribe over WebSocket where the RPC offers it, eth_getLogs polling when it
 * does not). Each batch of events refetches only the queries on screen that it affects
 * (lib/refresh.ts) once the subgraph has indexed it (lib/indexing.ts); events that concern the
 * connected account raise toasts and reach the components that read the chain for it
 * (`useAccountEvents`). No event costs an RPC call of its own.
 */
import { useApolloClient, useQuery } from "@apollo/client/react";
import { useEffect, useRef } from "react";
import { useAccount } from "wagmi";

import { graphql } from "../generated/gql/index.ts";
import { refetchAfter } from "./indexing.ts";
import {
  type ChainEvent,
  type Viewer,
  affectedQueries,
  concernsConsumer,
  concernsProvider,
  latestBlock,
} from "./refresh.ts";
import { useToast } from "./toasts.tsx";

const MyBookingIdsQuery = graphql(`
  query MyBookingIds($consumer: String!) {
    bookings(where: { consumer: $consumer }, first: 1000, orderBy: id, orderDirection: desc) {
      id
    }
  }
`);

type Listener = (events: ChainEvent[], viewer: Viewer) => void;
const listeners = new Set<Listener>();

/** Calls `listener` with each batch of contract events, for components that read the chain themselves. */
export function useChainEvents(listener: Listener): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => {
    const call: Listener = (events, viewer) => latest.current(events, viewer);
    listeners.add(call);
    return () => void listeners.delete(call);
  }, []);
}

/** Follows the chain for the whole app (mounted once, in the layout). */
export function useLiveEvents(): void {
  const { address: account } = useAccount();
  const apollo = useApolloClient();
  const notify = useToast();
  const { data } = useQuery(MyBookingIdsQuery, {
    variables: { consumer: account?.toLowerCase() ?? "" },
    skip: !account,
  });
  const viewer = useRef<Viewer>({ bookingIds: new Set() });
  // Bookings the account made since the subgraph last listed them: BookingRequested names its
  // consumer, and the booking's next events (provisioning within a block or two) must count as its.
  const requested = useRef(new Set<string>());
  const toast = useRef(notify);
  useEffect(() => {
    const listed = data?.bookings.map((booking) => booking.id) ?? [];
    viewer.current = { account, bookingIds: new Set([...listed, ...requested.current]) };
    toast.current = notify;
  });

  useEffect(() => {
    let stop: (() => void) | undefined;
    let stopped = false;
    // The contracts' ABIs load with the watcher, after the first paint.
    void import("./chainEvents.ts").then(({ watchContracts }) => {
      if (stopped) return;
      stop = watchContracts((events) => {
        let current = viewer.current;
        const mine = events
          .filter((event) => event.eventName === "BookingRequested" && concernsConsumer(event, current))
          .map((event) => String(event.args.bookingId));
        if (mine.length > 0) {
          for (const id of mine) requested.current.add(id);
          current = viewer.current = { ...current, bookingIds: new Set([...current.bookingIds, ...mine]) };
        }
        for (const event of events) announce(event, current, toast.current);
        for (const listener of listeners) listener(events, current);
        void refetchAfter(apollo, latestBlock(events), affectedQueries(events, current));
      });
    });
    return () => {
      stopped = true;
      stop?.();
    };
  }, [apollo]);
}

const ENDED: Record<string, [string, "success" | "error"]> = {
  BookingProvisioned: ["is provisioned: access details are ready", "success"],
  BookingCompleted: ["completed", "success"],
  BookingTerminated: ["was terminated", "error"],
};

/** A toast for an event that concerns the viewer: a provider's new booking, a consumer's booking news. */
function announce(event: ChainEvent, viewer: Viewer, notify: ReturnType<typeof useToast>): void {
  const args = event.args as { bookingId?: bigint; resourceId?: bigint; hoursBooked?: number; period?: number };
  if (event.eventName === "BookingRequested" && concernsProvider(event, viewer)) {
    notify({
      tone: "info",
      title: `New booking #${args.bookingId}`,
      body: `Resource #${args.resourceId}, ${args.hoursBooked} h`,
    });
  } else if (ENDED[event.eventName] && concernsConsumer(event, viewer)) {
    const [what, tone] = ENDED[event.eventName]!;
    notify({ tone, title: `Booking #${args.bookingId} ${what}` });
  } else if (
    event.eventName === "SlaPeriodsSettled" &&
    (event.args as { amounts?: readonly bigint[] }).amounts?.some((amount) => amount >> 128n > 0n) &&
    concernsConsumer(event, viewer)
  ) {
    notify({
      tone: "info",
      title: `Booking #${args.bookingId} missed its SLA`,
      body: "The credit is refunded to you.",
    });
  }
}
