import { Address } from "@graphprotocol/graph-ts";

import { ERC20 } from "../generated/PriceOracle/ERC20";
import {
  PaymentTokenConfigured,
  PaymentTokenDisabled,
  SequencerUptimeFeedUpdated,
} from "../generated/PriceOracle/PriceOracle";
import { getPaymentToken, getProtocol } from "./common/entities";

/** The native currency of the chains D-CloudX runs on (Ethereum and its L2s). */
const NATIVE_SYMBOL = "ETH";
const NATIVE_NAME = "Ether";

export function handlePaymentTokenConfigured(event: PaymentTokenConfigured): void {
  const params = event.params;
  const token = getPaymentToken(params.token);
  token.tokenId = params.tokenId;
  token.feed = params.feed;
  token.heartbeatSeconds = params.heartbeatSeconds;
  token.feedDecimals = params.feedDecimals;
  token.decimals = params.tokenDecimals;
  if (params.token == Address.zero()) {
    token.symbol = NATIVE_SYMBOL;
    token.name = NATIVE_NAME;
  } else {
    // The token's own metadata: read once per configuration (a governance action), so that clients
    // can show a token the DAO adds without a list of their own. Optional in ERC-20: null if absent.
    const erc20 = ERC20.bind(params.token);
    const symbol = erc20.try_symbol();
    const name = erc20.try_name();
    token.symbol = symbol.reverted ? null : symbol.value;
    token.name = name.reverted ? null : name.value;
  }
  token.enabled = true;
  token.save();
}

export function handlePaymentTokenDisabled(event: PaymentTokenDisabled): void {
  const token = getPaymentToken(event.params.token);
  token.tokenId = event.params.tokenId;
  token.enabled = false;
  token.save();
}

export function handleSequencerUptimeFeedUpdated(event: SequencerUptimeFeedUpdated): void {
  const protocol = getProtocol();
  protocol.sequencerUptimeFeed = event.params.feed;
  protocol.sequencerGracePeriodSeconds = event.params.gracePeriodSeconds;
  protocol.save();
}
