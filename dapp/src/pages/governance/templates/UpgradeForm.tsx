/** Proposal template: upgrade a contract's proxy to a new implementation. */
import type { ContractName } from "@d-cloudx/sdk";
import { useMemo, useState } from "react";
import { type Address, getAddress, sliceHex } from "viem";
import { useStorageAt } from "wagmi";

import { Field, HexField } from "../../../components/Field.tsx";
import { buildUpgrade } from "../actions.ts";
import { type TemplateProps, useReport } from "./template.ts";

/** The EIP-1967 slot where a proxy keeps its implementation's address. */
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

export function UpgradeForm({ contracts, onBuilt }: TemplateProps) {
  const proxies = contracts.filter((contract) => contract.name !== "Timelock");
  const [contractName, setContractName] = useState<ContractName>("EscrowManager");
  const [implementation, setImplementation] = useState("");
  const [data, setData] = useState("");
  const proxy = proxies.find((contract) => contract.name === contractName)?.address;
  const slot = useStorageAt({ address: proxy, slot: IMPLEMENTATION_SLOT, query: { enabled: Boolean(proxy) } });
  const current: Address | undefined = slot.data ? getAddress(sliceHex(slot.data, 12)) : undefined;
  const built = useMemo(
    () => buildUpgrade(contracts, { contractName, implementation, data }, current),
    [contracts, contractName, implementation, data, current],
  );
  useReport(onBuilt, built);
  return (
    <>
      <h2 className="text-lg font-semibold">Contract upgrade</h2>
      <p className="text-sm text-slate-400">
        Points a proxy at a new implementation (UUPS <code>upgradeToAndCall</code>). Deploy and review the
        implementation first: its storage layout must extend the current one.
      </p>
      <Field label="Contract">
        {(aria) => (
          <select
            {...aria}
            className="field"
            value={contractName}
            onChange={(e) => setContractName(e.target.value as ContractName)}
          >
            {proxies.map((contract) => (
              <option key={contract.name} value={contract.name}>
                {contract.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p className="text-sm break-all">
        Current implementation: <span className="font-mono">{current ?? "…"}</span>
      </p>
      <HexField label="New implementation address" value={implementation} onChange={setImplementation} />
      <HexField
        label="Call after upgrading (hex, optional)"
        hint="A reinitializer call, or empty for none."
        value={data}
        onChange={setData}
      />
    </>
  );
}
