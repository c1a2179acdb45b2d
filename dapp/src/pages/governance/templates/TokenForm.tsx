/** Proposal template: accept a payment token (or change its price feed), or stop accepting one. */
import { useMemo, useState } from "react";

import { Field, HexField, TextField } from "../../../components/Field.tsx";
import { usePaymentTokens } from "../../../lib/tokens.ts";
import { buildPaymentTokenChange } from "../actions.ts";
import { type TemplateProps, useReport } from "./template.ts";

export function TokenForm({ contracts, onBuilt }: TemplateProps) {
  const { tokens } = usePaymentTokens();
  const [mode, setMode] = useState<"set" | "disable">("set");
  const [token, setToken] = useState("");
  const [feed, setFeed] = useState("");
  const [heartbeat, setHeartbeat] = useState("3600");
  const built = useMemo(
    () =>
      buildPaymentTokenChange(
        contracts,
        mode === "set" ? { mode, token, feed, heartbeatSeconds: heartbeat } : { mode, token },
      ),
    [contracts, mode, token, feed, heartbeat],
  );
  useReport(onBuilt, built);
  return (
    <>
      <h2 className="text-lg font-semibold">Payment tokens</h2>
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="label">Change</legend>
        <label className="flex items-center gap-1">
          <input type="radio" name="token-mode" checked={mode === "set"} onChange={() => setMode("set")} />
          Accept a token or change its price feed
        </label>
        <label className="flex items-center gap-1">
          <input type="radio" name="token-mode" checked={mode === "disable"} onChange={() => setMode("disable")} />
          Stop accepting a token
        </label>
      </fieldset>
      {mode === "disable" ? (
        <Field label="Token">
          {(aria) => (
            <select {...aria} className="field" value={token} onChange={(e) => setToken(e.target.value)}>
              <option value="">Choose a token…</option>
              {tokens.map((item) => (
                <option key={item.address} value={item.address}>
                  {item.symbol} ({item.address})
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : (
        <>
          <HexField
            label="Token address"
            hint="The zero address is the chain's native coin (ETH)."
            value={token}
            onChange={setToken}
          />
          <HexField label="Chainlink price feed (token / USD)" value={feed} onChange={setFeed} />
          <TextField
            label="Heartbeat (seconds)"
            hint="Prices older than this count as stale."
            inputClassName="field w-40"
            inputMode="numeric"
            value={heartbeat}
            onChange={setHeartbeat}
          />
        </>
      )}
    </>
  );
}
