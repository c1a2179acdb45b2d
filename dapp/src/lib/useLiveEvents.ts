/**
 * Marketplace and SLA events refresh what is on screen once the subgraph has indexed them; those
 * that concern the connected account raise toasts: a provider hears of new bookings, a consumer of
 * provisioning, of the end of a booking and of SLA periods it was credited for.
 */
import { useApolloClient } from "@apollo/client/react";
import { readContract } from "@wagmi/core";
import { useAccount, useWatchContractEvent } from "wagmi";

import {
  resourceMarketplaceAbi,
  resourceMarketplaceAddress,
  slaEnforcementAbi,
  slaEnforcementAddress,
} from "../generated/contracts.ts";
import { refreshAfter } from "./indexing.ts";
import { useToast } from "./toasts.tsx";
import { chain, wagmiConfig } from "../wagmi.ts";

const address = (resourceMarketplaceAddress as Record<number, `0x${string}` | undefined>)[chain.id];
const slaAddress = (slaEnforcementAddress as Record<number, `0x${string}` | undefined>)[chain.id];

const latestBlock = (logs: { blockNumber: bigint | null }[]) =>
  logs.reduce((latest, log) => (log.blockNumber && log.blockNumber > latest ? log.blockNumber : latest), 0n);

function consumerOf(bookingId: bigint): Promise<string> {
  return readContract(wagmiConfig, {
    address: address!,
    abi: resourceMarketplaceAbi,
    functionName: "getBooking",
    args: [bookingId],
  }).then((booking) => booking.consumer.toLowerCase());
}

export function useLiveEvents(): void {
  const { address: account } = useAccount();
  const apollo = useApolloClient();
  const notify = useToast();

  useWatchContractEvent({
    address,
    abi: resourceMarketplaceAbi,
    enabled: Boolean(address),
    onLogs: async (logs) => {
      const me = account?.toLowerCase();
      for (const log of logs) {
        if (!me) break;
        if (log.eventName === "BookingRequested" && log.args.provider?.toLowerCase() === me) {
          notify({
            tone: "info",
            title: `New booking #${log.args.bookingId}`,
            body: `Resource #${log.args.resourceId}, ${log.args.hoursBooked} h`,
          });
        }
        if (
          log.eventName === "BookingProvisioned" ||
          log.eventName === "BookingCompleted" ||
          log.eventName === "BookingTerminated"
        ) {
          const bookingId = log.args.bookingId!;
          if ((await consumerOf(bookingId)) !== me) continue;
          const what = {
            BookingProvisioned: "is provisioned: access details are ready",
            BookingCompleted: "completed",
            BookingTerminated: "was terminated",
          }[log.eventName];
          notify({
            tone: log.eventName === "BookingTerminated" ? "error" : "success",
            title: `Booking #${bookingId} ${what}`,
          });
        }
      }
      const latest = latestBlock(logs);
      if (latest > 0n) await refreshAfter(apollo, latest);
    },
  });

  useWatchContractEvent({
    address: slaAddress,
    abi: slaEnforcementAbi,
    eventName: "SlaPeriodSettled",
    enabled: Boolean(slaAddress),
    onLogs: async (logs) => {
      const me = account?.toLowerCase();
      for (const log of logs) {
        if (!me || log.args.compliant || !log.args.credit) continue;
        if ((await consumerOf(log.args.bookingId!)) !== me) continue;
        notify({
          tone: "info",
          title: `Booking #${log.args.bookingId} missed its SLA in period ${log.args.period}`,
          body: "The credit is refunded to you.",
        });
      }
      const latest = latestBlock(logs);
      if (latest > 0n) await refreshAfter(apollo, latest);
    },
  });
}
