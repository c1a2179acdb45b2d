import hre from "hardhat";

import { deployProtocol, protocolRoles } from "../../scripts/lib/protocol.ts";
import { ENCRYPTION_KEY, METADATA_CID, PRICE_PER_HOUR_USD_E8, connection, ethers, networkHelpers } from "./fixture.ts";

/**
 * The whole protocol as scripts/deploy.ts deploys it on a local chain: core contracts, mock payment
 * tokens, DCX (with its DAO-set price feed), rewards, the resource verifier and the DAO, with every
 * admin and upgrader role handed to the timelock. Accounts: #0 deployer and guardian, #1 treasury,
 * #2 oracle node (SLA signer, provisioning confirmer, verifier), #3 a provider with one resource
 * that accepts every payment token, #4 a consumer; #0–#9 hold 10M DCX each, delegated to themselves;
 * #12 holds nothing.
 */
export async function deployProtocolFixture() {
  const roles = await protocolRoles(connection);
  const protocol = await deployProtocol(hre, connection, roles);
  const signers = await ethers.getSigners();
  const [deployer, treasury, oracle, provider, consumer] = signers;
  const outsider = signers[12]!;
  const { marketplace, priceOracle, timelock } = protocol.contracts;

  await marketplace.connect(provider).registerProvider(METADATA_CID);
  const terms = {
    pricePerHourUsdE8: PRICE_PER_HOUR_USD_E8,
    capacity: 10,
    minHours: 1,
    maxHours: 720,
    uptimeTargetBps: 9_950,
    maxLatencyMs: 250,
    acceptedTokens: protocol.deployment.paymentTokens.map((t) => t.address),
  };
  await marketplace.connect(provider).listResource({ metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms });
  const resourceId = 1n;

  /** Books `hours` of the resource in ETH as `from`, paying the exact quote. */
  async function bookEth(hours = 2, from = consumer) {
    const [amount] = await priceOracle.quote(ethers.ZeroAddress, PRICE_PER_HOUR_USD_E8 * BigInt(hours));
    await marketplace
      .connect(from)
      .book(resourceId, hours, ethers.ZeroAddress, amount, ENCRYPTION_KEY, { value: amount });
    return { bookingId: await marketplace.bookingCount(), amount };
  }

  /** The timelock as a signer, to call what only a passed proposal may call. */
  async function timelockSigner() {
    const address = await timelock.getAddress();
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 18n);
    return ethers.getSigner(address);
  }

  return {
    ...protocol,
    ...protocol.contracts,
    roles,
    deployer,
    treasury,
    oracle,
    provider,
    consumer,
    outsider,
    /** Demo accounts other than the provider and consumer, with delegated votes. */
    voters: [signers[5]!, signers[6]!, signers[7]!],
    resourceId,
    terms,
    bookEth,
    timelockSigner,
  };
}

export type ProtocolFixture = Awaited<ReturnType<typeof deployProtocolFixture>>;
