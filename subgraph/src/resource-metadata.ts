import { Bytes, dataSource, log } from "@graphprotocol/graph-ts";

import { ResourceMetadataDocument } from "../generated/schema";
import { metadataId } from "./common/ids";
import { readResourceMetadata } from "./common/metadata";

/**
 * File data source handler: stores the metadata document of one version of a resource, VALID with
 * its searchable fields or INVALID with the reason. The resource and version come from the
 * context set when the marketplace handler asked for the file.
 */
export function handleResourceMetadata(content: Bytes): void {
  const context = dataSource.context();
  const resourceId = context.getBigInt("resourceId").toI64();
  const version = context.getI32("version");
  const cid = dataSource.stringParam();

  const document = new ResourceMetadataDocument(metadataId(resourceId, version));
  document.resource = resourceId;
  document.metadataVersion = version;
  document.cid = cid;
  document.size = content.length;
  const error = readResourceMetadata(content, document);
  if (error === null) {
    document.status = "VALID";
  } else {
    document.status = "INVALID";
    document.error = error;
    log.info("Metadata {} of resource {} is invalid: {}", [cid, resourceId.toString(), error]);
  }
  document.save();
}
