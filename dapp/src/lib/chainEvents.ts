/**
 * The D-CloudX contracts' events as the dApp follows them: which contracts, their ABIs, the live
 * subscription and the decoding of a receipt's logs. Loaded on demand (it carries the ABIs).
 */
import { watchContractEvent } from "@wagmi/core";
import { type Address, type Log, createPublicClient, parseEventLogs, webSocket } from "viem";

import { config } from "../config.ts";
import {
  bookingRenewalsAbi,
  bookingRenewalsAddress,
  daoGovernanceAbi,
  daoGovernanceAddress,
  escrowManagerAbi,
  escrowManagerAddress,
  priceOracleAbi,
  priceOracleAddress,
  reputationSystemAbi,
  reputationSystemAddress,
  resourceMarketplaceAbi,
  resourceMarketplaceAddress,
  slaEnforcementAbi,
  slaEnforcementAddress,
} from "../generated/contracts.ts";
import type { ChainEvent } from "./refresh.ts";
import { chain, wagmiConfig } from "../wagmi.ts";

const on = (addresses: Record<number, Address>) => (addresses as Record<number, Address | undefined>)[chain.id];
const ADDRESSES = [
  resourceMarketplaceAddress,
  bookingRenewalsAddress,
  slaEnforcementAddress,
  escrowManagerAddress,
  reputationSystemAddress,
  priceOracleAddress,
  daoGovernanceAddress,
]
  .map(on)
  .filter((address): address is Address => address !== undefined);
const ABI = [
  ...resourceMarketplaceAbi,
  ...bookingRenewalsAbi,
  ...slaEnforcementAbi,
  ...escrowManagerAbi,
  ...reputationSystemAbi,
  ...priceOracleAbi,
  ...daoGovernanceAbi,
];

/** The D-CloudX events among `logs` (a receipt's, say), decoded. */
export function contractEvents(logs: Log[]): ChainEvent[] {
  const ours = new Set(ADDRESSES.map((address) => address.toLowerCase()));
  return parseEventLogs({ abi: ABI, logs: logs.filter((log) => ours.has(log.address.toLowerCase())) }).map(
    ({ eventName, args, blockNumber }) => ({ eventName, args: args as Record<string, unknown>, blockNumber }),
  );
}

/**
 * Subscribes to the contracts' logs: over WebSocket when the endpoint answers, else by polling
 * through the app's HTTP transport. Returns the unsubscribe function.
 */
export function watchContracts(onEvents: (events: ChainEvent[]) => void): () => void {
  const onLogs = (logs: Log[]) =>
    onEvents(
      logs.flatMap((log) => {
        const { eventName, args } = log as Log & { eventName?: string; args?: Record<string, unknown> };
        return eventName ? [{ eventName, args: args ?? {}, blockNumber: log.blockNumber }] : [];
      }),
    );
  const poll = () =>
    watchContractEvent(wagmiConfig, { address: ADDRESSES, abi: ABI, poll: true, strict: true, onLogs });
  let stop: () => void;
  try {
    const socket = createPublicClient({ chain, transport: webSocket(config.rpcWsUrl, { retryCount: 0 }) });
    stop = socket.watchContractEvent({
      address: ADDRESSES,
      abi: ABI,
      strict: true,
      onLogs,
      onError: () => {
        // No WebSocket here (or it dropped): follow the chain by polling instead.
        stop();
        stop = poll();
      },
    });
  } catch {
    stop = poll();
  }
  return () => stop();
}
