/** How the EC2 and S3 adapters read a failed AWS SDK call. */
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

import { cloudError } from "./cloud-common.ts";
import type { ProvisionerError } from "./types.ts";

type SdkError = Parameters<typeof isThrottlingError>[0];

/**
 * A ProvisionerError naming the AWS error code, HTTP status and request id; retryable when the SDK
 * counts the error as throttling, transient or a server error, or its name is in `retryableNames`.
 */
export function classifyAwsError(
  action: string,
  error: unknown,
  retryableNames: ReadonlySet<string>,
): ProvisionerError {
  if (!(error instanceof Error)) return cloudError("aws", action, { message: String(error) }, false);
  const sdkError = error as SdkError;
  const retryable =
    isThrottlingError(sdkError) ||
    isTransientError(sdkError) ||
    isServerError(sdkError) ||
    retryableNames.has(sdkError.name);
  const { httpStatusCode, requestId } = sdkError.$metadata ?? {};
  return cloudError(
    "aws",
    action,
    { code: sdkError.name, status: httpStatusCode, requestId, message: sdkError.message },
    retryable,
  );
}

/** The HTTP status AWS answered a failed call with. */
export const awsStatusOf = (error: unknown) => (error as SdkError).$metadata?.httpStatusCode;
