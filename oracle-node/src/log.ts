import { pino, type Logger } from "pino";

/**
 * JSON logs on stdout. Secrets are kept out in two ways: the config holds the key in a `Secret`
 * (which serializes as "[redacted]"), and these paths are censored wherever they appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "oracle-node" },
      redact: {
        paths: [
          "privateKey",
          "*.privateKey",
          "secret",
          "*.secret",
          "credentials",
          "*.credentials",
          "access",
          "*.access",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

export type { Logger };
