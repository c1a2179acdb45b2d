import { PriceFeed, PriceFeedAnswer } from "../generated/schema";
import { AnswerUpdated } from "../generated/DcxPriceFeed/GovernedPriceFeed";
import { eventId } from "./common/ids";

export function handleAnswerUpdated(event: AnswerUpdated): void {
  const params = event.params;
  let feed = PriceFeed.load(event.address);
  if (feed == null) feed = new PriceFeed(event.address);
  feed.answer = params.current;
  feed.roundId = params.roundId;
  feed.updatedAt = params.updatedAt;
  feed.save();

  const answer = new PriceFeedAnswer(eventId(event));
  answer.feed = feed.id;
  answer.answer = params.current;
  answer.roundId = params.roundId;
  answer.updatedAt = params.updatedAt;
  answer.blockNumber = event.block.number;
  answer.transactionHash = event.transaction.hash;
  answer.save();
}
