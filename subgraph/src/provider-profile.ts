import { Bytes, dataSource, log } from "@graphprotocol/graph-ts";

import { ProviderProfileDocument } from "../generated/schema";
import { providerProfileRules } from "./generated/metadata-rules";
import { profileId } from "./common/ids";
import { textOf } from "./common/metadata";
import { checkDocument } from "./common/rules";

/**
 * File data source handler: stores one version of a provider's profile document, VALID with the
 * provider's display name or INVALID with the reason. The provider and version come from the
 * context set when the marketplace handler asked for the file.
 */
export function handleProviderProfile(content: Bytes): void {
  const context = dataSource.context();
  const provider = context.getBytes("provider");
  const version = context.getI32("version");
  const cid = dataSource.stringParam();

  const document = new ProviderProfileDocument(profileId(provider, version));
  document.provider = provider;
  document.profileVersion = version;
  document.cid = cid;
  document.size = content.length;
  const checked = checkDocument(content, providerProfileRules());
  if (checked.error === null) {
    document.status = "VALID";
    document.displayName = textOf(checked.value, "displayName");
  } else {
    document.status = "INVALID";
    document.error = checked.error;
    log.info("Profile {} of provider {} is invalid: {}", [cid, provider.toHexString(), checked.error as string]);
  }
  document.save();
}
