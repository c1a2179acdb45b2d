import { useEffect, useState } from "react";
import { useBlock } from "wagmi";

const wallClock = () => Math.floor(Date.now() / 1000);

/**
 * The chain's current time in seconds, ticking every `intervalMs`: the wall clock plus the offset
 * by which the newest block was ahead of it when it arrived (a local chain whose time was
 * advanced). The offset is measured once per block, so the clock keeps ticking between blocks.
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(wallClock);
  const { data: block } = useBlock({ watch: true });
  const [offset, setOffset] = useState<{ block?: bigint; skew: number }>({ skew: 0 });
  if (block && block.number !== offset.block) {
    setOffset({ block: block.number, skew: Math.max(0, Number(block.timestamp) - wallClock()) });
  }
  useEffect(() => {
    const timer = setInterval(() => setNow(wallClock()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now + offset.skew;
}
