import { Address } from "@graphprotocol/graph-ts";

import {
  PaymentTokenConfigured,
  PaymentTokenDescribed,
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
  }
  token.enabled = true;
  token.save();
}

/** The token's ERC-20 symbol and name, as the PriceOracle read them (empty: the token has none). */
export function handlePaymentTokenDescribed(event: PaymentTokenDescribed): void {
  const token = getPaymentToken(event.params.token);
  token.symbol = event.params.symbol.length > 0 ? event.params.symbol : null;
  token.name = event.params.name.length > 0 ? event.params.name : null;
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
