/**
 * Marketplace events that concern the connected account raise toasts and refresh what is on
 * screen once the subgraph has indexed them: a provider hears of new bookings, a consumer of
 * provisioning and of the end of a booking.
 */
import { useApolloClient } from "@apollo/client/react";
import { readContract } from "@wagmi/core";
import { useAccount, useWatchContractEvent } from "wagmi";

import { resourceMarketplaceAbi, resourceMarketplaceAddress } from "../generated/contracts.ts";
import { refreshAfter } from "./indexing.ts";
import { useToast } from "./toasts.tsx";
import { chain, wagmiConfig } from "../wagmi.ts";

const address = (resourceMarketplaceAddress as Record<number, `0x${string}` | undefined>)[chain.id];

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
      let latest = 0n;
      for (const log of logs) {
        latest = log.blockNumber && log.blockNumber > latest ? log.blockNumber : latest;
        if (!me) continue;
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
          const booking = await readContract(wagmiConfig, {
            address: address!,
            abi: resourceMarketplaceAbi,
            functionName: "getBooking",
            args: [bookingId],
          });
          if (booking.consumer.toLowerCase() !== me) continue;
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
      if (latest > 0n) await refreshAfter(apollo, latest);
    },
  });
}
