/**
 * Headless Chromium for the browser tests and Lighthouse, from npm (`@sparticuz/chromium`): the
 * package ships a brotli-packed build that is unpacked under the system's temporary folder on
 * first use, with the fonts and the few shared libraries (NSS, NSPR, expat) a bare machine lacks.
 * CHROMIUM_PATH runs another Chromium instead.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import chromium, { inflate } from "@sparticuz/chromium";

/** Flags for a headless Chromium on a machine with no GPU, display or network beyond loopback. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface ChromiumBinary {
  executablePath: string;
  /** Environment for the Chromium process: its bundled libraries and fonts. */
  env: NodeJS.ProcessEnv;
}

/** Unpacks Chromium if needed; returns how to run it. */
export async function chromiumBinary(): Promise<ChromiumBinary> {
  const override = process.env.CHROMIUM_PATH;
  if (override) return { executablePath: override, env: process.env };
  const executablePath = await chromium.executablePath();
  const packed = join(dirname(fileURLToPath(import.meta.resolve("@sparticuz/chromium"))), "..", "bin");
  const libraries = join(tmpdir(), "al2023", "lib");
  if (!existsSync(libraries)) await inflate(join(packed, "al2023.tar.br"));
  const fonts = join(tmpdir(), "fonts");
  return {
    executablePath,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      ...(existsSync(join(fonts, "fonts.conf")) ? { FONTCONFIG_PATH: fonts } : {}),
    },
  };
}
