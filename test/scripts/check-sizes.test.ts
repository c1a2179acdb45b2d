import { expect } from "chai";

import { DEPLOYED_CONTRACTS, EIP170_LIMIT_BYTES, runtimeSizes } from "../../scripts/lib/sizes.ts";

const bytecode = (bytes: number) => ({ deployedBytecode: `0x${"00".repeat(bytes)}` });

describe("contract sizes (scripts/check-sizes.ts)", function () {
  it("covers every contract a deployment puts on chain", function () {
    expect(DEPLOYED_CONTRACTS).to.include.members([
      "ResourceMarketplace",
      "EscrowManager",
      "SLAEnforcement",
      "DAOGovernance",
      "TimelockController",
      "GovernedPriceFeed",
    ]);
  });

  it("measures runtime bytes and flags one byte over EIP-170's limit", async function () {
    const sizes = await runtimeSizes(["AtTheLimit", "OneOver"], async (name) =>
      bytecode(name === "OneOver" ? EIP170_LIMIT_BYTES + 1 : EIP170_LIMIT_BYTES),
    );
    expect(sizes).to.deep.equal([
      { name: "AtTheLimit", bytes: 24_576, headroom: 0 },
      { name: "OneOver", bytes: 24_577, headroom: -1 },
    ]);
  });
});
