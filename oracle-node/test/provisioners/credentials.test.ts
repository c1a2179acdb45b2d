import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { deriveSshKeyPair } from "../../src/provisioners/credentials.ts";
import { KEY_MATERIAL, parseOpenSshPrivateKey } from "./fixtures.ts";

function hasSshKeygen(): boolean {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
  } catch (error) {
    // ssh-keygen answers -? with usage and exit status 1; ENOENT means it is not installed.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
  return true;
}

describe("per-booking SSH keys", () => {
  it("are an OpenSSH public key line and an OpenSSH private key file of the same Ed25519 key", () => {
    const pair = deriveSshKeyPair(KEY_MATERIAL, "dcloudx-31337-42");
    assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} dcloudx-31337-42$/);
    const parsed = parseOpenSshPrivateKey(pair.privateKey);
    assert.equal(parsed.publicKeyBase64, pair.publicKey.split(" ")[1]);
    assert.equal(parsed.comment, "dcloudx-31337-42");
  });

  it("are the same for the same key material and key id, and unrelated otherwise", () => {
    const pair = deriveSshKeyPair(KEY_MATERIAL, "dcloudx-31337-42");
    assert.deepEqual(deriveSshKeyPair(new Uint8Array(KEY_MATERIAL), "dcloudx-31337-42"), pair);
    const others = [
      deriveSshKeyPair(KEY_MATERIAL, "dcloudx-31337-43"),
      deriveSshKeyPair(KEY_MATERIAL, "dcloudx-1-42"),
      deriveSshKeyPair(new Uint8Array(32).fill(8), "dcloudx-31337-42"),
    ];
    const keys = new Set([pair, ...others].map((p) => p.publicKey.split(" ")[1]));
    assert.equal(keys.size, 4);
  });

  it("load in ssh-keygen, which derives the same public key", { skip: !hasSshKeygen() && "no ssh-keygen" }, () => {
    const pair = deriveSshKeyPair(KEY_MATERIAL, "dcloudx-31337-42");
    const dir = mkdtempSync(join(tmpdir(), "dcloudx-ssh-"));
    try {
      const file = join(dir, "id_ed25519");
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
      assert.equal(derived, pair.publicKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
