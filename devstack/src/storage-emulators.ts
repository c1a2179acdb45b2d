/**
 * Local object storage for the stack and the tests, from npm packages only: Azurite (Microsoft's
 * Azure Storage emulator, blob service) and s3rver (an S3-compatible server). Both bind to
 * 127.0.0.1 on the given ports (0: any free port) and keep their data under `dataDir`.
 */
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

import { type Service, freePort, startService, stopService, waitFor } from "./process.ts";

const require = createRequire(import.meta.url);

/**
 * Azurite's development account. Its key is published in Microsoft's documentation and works only
 * against the emulator.
 */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/** s3rver's one account key; it checks that a request names it, not the signature. */
export const S3RVER_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface StorageEmulators {
  /** Azurite's blob endpoint, without the account: `http://127.0.0.1:<port>`. */
  azuriteUrl: string;
  /** s3rver's endpoint: `http://127.0.0.1:<port>`. */
  s3Url: string;
  stop(): Promise<void>;
}

export interface StorageEmulatorOptions {
  dataDir: string;
  azuritePort?: number;
  s3Port?: number;
  logDir: string;
  /** Records the emulators' pids in this folder while they run (see `stopRecorded`). */
  pidDir?: string;
}

const bin = (pkg: string, path: string) => join(dirname(require.resolve(`${pkg}/package.json`)), path);

/** Starts both emulators and waits until each answers. */
export async function startStorageEmulators(options: StorageEmulatorOptions): Promise<StorageEmulators> {
  const azuritePort = options.azuritePort || (await freePort());
  const s3Port = options.s3Port || (await freePort());
  const azuriteDir = join(options.dataDir, "azurite");
  const s3Dir = join(options.dataDir, "s3rver");
  mkdirSync(azuriteDir, { recursive: true });
  mkdirSync(s3Dir, { recursive: true });
  const pidFile = (name: string) => (options.pidDir ? { pidDir: options.pidDir, name } : undefined);
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.map((service) => stopService(service, "SIGTERM", 5_000)));
  };
  try {
    services.push(
      startService(
        process.execPath,
        [
          bin("azurite", "dist/src/blob/main.js"),
          ...["--blobHost", "127.0.0.1", "--blobPort", String(azuritePort), "--location", azuriteDir],
          // No telemetry (it would call out to the internet), no request logs on stdout.
          "--disableTelemetry",
          "--silent",
          "--skipApiVersionCheck",
        ],
        { logFile: join(options.logDir, "azurite.log"), pidFile: pidFile("azurite") },
      ),
      startService(
        process.execPath,
        [bin("s3rver", "bin/s3rver.js"), "-d", s3Dir, "-a", "127.0.0.1", "-p", String(s3Port), "--no-vhost-buckets"],
        { logFile: join(options.logDir, "s3rver.log"), pidFile: pidFile("s3rver") },
      ),
    );
    const azuriteUrl = `http://127.0.0.1:${azuritePort}`;
    const s3Url = `http://127.0.0.1:${s3Port}`;
    for (const [name, url, service] of [
      ["Azurite", `${azuriteUrl}/${AZURITE_ACCOUNT}?comp=list`, services[0]!],
      ["s3rver", s3Url, services[1]!],
    ] as const) {
      await waitFor(
        `${name} to answer on ${url}`,
        async () => {
          if (service.child.exitCode !== null) {
            throw Object.assign(new Error(`${name} exited (code ${service.child.exitCode}); see ${service.logFile}`), {
              fatal: true,
            });
          }
          // Any HTTP answer (Azurite refuses the unsigned request with 403) means it listens.
          await fetch(url);
          return true;
        },
        30_000,
        100,
        (error) => (error as { fatal?: boolean }).fatal === true,
      );
    }
    return { azuriteUrl, s3Url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The oracle node's `adapters.objectStorage` for the `local` cloud on these emulators: S3 listings
 * on s3rver, Azure Blob listings on Azurite (region `local`, classes `STANDARD` and `Standard_LRS`).
 */
export function localObjectStorageConfig(emulators: Pick<StorageEmulators, "azuriteUrl" | "s3Url">) {
  return {
    s3: {
      local: { endpoint: emulators.s3Url, staticKey: S3RVER_KEY, regions: { local: { storageClasses: ["STANDARD"] } } },
    },
    azureBlob: {
      local: {
        emulator: { endpoint: emulators.azuriteUrl, accountKey: AZURITE_KEY },
        accounts: { local: { Standard_LRS: AZURITE_ACCOUNT } },
      },
    },
  };
}
