import { useEffect, useState } from "react";
import { useBlock } from "wagmi";

const wallClock = () => Math.floor(Date.now() / 1000);

/**
 * The chain's current time in seconds, ticking every `intervalMs`: the wall clock, moved forward
 * when the latest block is ahead of it (a local chain whose time was advanced).
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(wallClock);
  const { data: block } = useBlock({ watch: true });
  const skew = block ? Math.max(0, Number(block.timestamp) - wallClock()) : 0;
  useEffect(() => {
    const timer = setInterval(() => setNow(wallClock()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now + skew;
}
