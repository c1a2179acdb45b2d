/**
 * The folder oracles share to exchange signatures (a network share, a synced folder, or one disk
 * for nodes on one machine). Layout, under `<relayDir>/<chainId>-<contract>/`:
 *
 *   <topic>/<signer>.json   one file per statement per signer: {signer, figures, signature}
 *   targets/<bookingId>.json  where to probe a booking (no secrets), for nodes that did not provision it
 *
 * Files are written to a temporary name and renamed, so a reader never sees half a file; a signer
 * writes its file for a topic once. Readers check every signature themselves: the folder is not trusted.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { ProbeTarget } from "../provisioners/types.ts";

export interface SignedFile {
  signer: string;
  figures: Record<string, string | number>;
  signature: `0x${string}`;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export class Relay {
  readonly #root: string;

  constructor(relayDir: string, namespace: string) {
    this.#root = join(relayDir, namespace);
    mkdirSync(this.#root, { recursive: true });
  }

  write(topic: string, file: SignedFile): void {
    if (!SAFE.test(topic)) throw new Error(`Unsafe relay topic "${topic}"`);
    const dir = join(this.#root, topic);
    mkdirSync(dir, { recursive: true });
    atomicWrite(join(dir, `${file.signer.toLowerCase()}.json`), JSON.stringify(file));
  }

  /** Every well-formed file of a topic; malformed ones are skipped. */
  read(topic: string): SignedFile[] {
    let names: string[];
    try {
      names = readdirSync(join(this.#root, topic));
    } catch {
      return [];
    }
    const files: SignedFile[] = [];
    for (const name of names) {
      if (!/^0x[0-9a-f]{40}\.json$/.test(name)) continue;
      try {
        const file = JSON.parse(readFileSync(join(this.#root, topic, name), "utf8")) as SignedFile;
        if (
          typeof file.signer === "string" &&
          file.signer.toLowerCase() === name.slice(0, -5) &&
          typeof file.figures === "object" &&
          file.figures !== null &&
          typeof file.signature === "string" &&
          /^0x[0-9a-fA-F]{130}$/.test(file.signature)
        ) {
          files.push(file);
        }
      } catch {
        // A file being replaced or a stranger's junk: ignore it.
      }
    }
    return files;
  }

  writeTarget(bookingId: string, target: ProbeTarget): void {
    mkdirSync(join(this.#root, "targets"), { recursive: true });
    atomicWrite(join(this.#root, "targets", `${bookingId}.json`), JSON.stringify(target));
  }

  readTarget(bookingId: string): ProbeTarget | undefined {
    try {
      const target = JSON.parse(readFileSync(join(this.#root, "targets", `${bookingId}.json`), "utf8")) as ProbeTarget;
      const valid =
        (target.kind === "http" || target.kind === "tcp") &&
        typeof target.host === "string" &&
        Number.isInteger(target.port);
      return valid ? target : undefined;
    } catch {
      return undefined;
    }
  }
}

function atomicWrite(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
