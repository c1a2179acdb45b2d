import {
  PaymentTokenConfigured,
  PaymentTokenDisabled,
  SequencerUptimeFeedUpdated,
} from "../generated/PriceOracle/PriceOracle";
import { getPaymentToken, getProtocol } from "./common/entities";

export function handlePaymentTokenConfigured(event: PaymentTokenConfigured): void {
  const params = event.params;
  const token = getPaymentToken(params.token);
  token.tokenId = params.tokenId;
  token.feed = params.feed;
  token.heartbeatSeconds = params.heartbeatSeconds;
  token.feedDecimals = params.feedDecimals;
  token.tokenDecimals = params.tokenDecimals;
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
