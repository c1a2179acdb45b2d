import { BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";

import { SECONDS_PER_DAY, SECONDS_PER_HOUR } from "./constants";

/** Id of the record of one event: transaction hash + log index. */
export function eventId(event: ethereum.Event): Bytes {
  return event.transaction.hash.concatI32(event.logIndex.toI32());
}

/** Id of a provider's bond in one token. */
export function bondId(provider: Bytes, token: Bytes): Bytes {
  return provider.concat(token);
}

/** Days since 1970-01-01 (UTC) at `timestamp`. */
export function dayNumber(timestamp: BigInt): i64 {
  return timestamp.toI64() / SECONDS_PER_DAY;
}

/** Hours since 1970-01-01 00:00 (UTC) at `timestamp`. */
export function hourNumber(timestamp: BigInt): i64 {
  return timestamp.toI64() / SECONDS_PER_HOUR;
}

/** Id of one provider's statistics for one day. */
export function providerDayId(provider: Bytes, day: i64): Bytes {
  return provider.concatI32(day as i32);
}

/** Id of the metadata document a resource had at `version`. */
export function metadataId(resourceId: i64, version: i32): string {
  return resourceId.toString() + "-" + version.toString();
}

/** A provider's profile document: `<provider>-<profileVersion>`. */
export function profileId(provider: Bytes, version: i32): string {
  return provider.toHexString() + "-" + version.toString();
}

/** Id of a booking's extension number `index` (0 for the first). */
export function extensionId(bookingId: i64, index: i32): Bytes {
  return Bytes.fromByteArray(Bytes.fromI64(bookingId)).concatI32(index);
}
