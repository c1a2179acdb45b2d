import { watchBlocks } from "@wagmi/core";
import { useEffect, useState } from "react";
import type { Block } from "viem";

import { wagmiConfig } from "../wagmi.ts";

const wallClock = () => Math.floor(Date.now() / 1000);

interface Arrival {
  block: Block;
  /** Wall-clock time (seconds) when it arrived. */
  at: number;
}

/**
 * The newest block and when it arrived. One subscription for the component's life: wagmi's
 * `useBlock({ watch: true })` re-subscribes on every render, so in a component that re-renders
 * more often than the polling interval (a ticking clock) it never sees a new block.
 */
export function useLatestBlock(): Arrival | undefined {
  const [arrival, setArrival] = useState<Arrival>();
  useEffect(
    () => watchBlocks(wagmiConfig, { emitOnBegin: true, onBlock: (block) => setArrival({ block, at: wallClock() }) }),
    [],
  );
  return arrival;
}

/**
 * The chain's current time in seconds, ticking every `intervalMs`: the wall clock plus the offset
 * by which the newest block was ahead of it when it arrived (a local chain whose time was
 * advanced), so the clock keeps ticking between blocks.
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(wallClock);
  const latest = useLatestBlock();
  useEffect(() => {
    const timer = setInterval(() => setNow(wallClock()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now + (latest ? Math.max(0, Number(latest.block.timestamp) - latest.at) : 0);
}
