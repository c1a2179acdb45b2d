import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, it } from "node:test";

import { ConfigError, LOCAL_CONFIG, LOCAL_ORACLE_KEY, loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { createProvisioners } from "../src/provisioners/registry.ts";
import { AWS_ONE_REGION } from "./provisioners/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "oracle-config-"));
function withFile(content: unknown): NodeJS.ProcessEnv {
  const file = join(dir, `config-${Math.random()}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return { ORACLE_CONFIG: file };
}

describe("configuration", () => {
  it("works against the local stack with defaults and Hardhat's public test key", () => {
    const config = loadConfig(withFile({ serve: { providers: "*" } }), dir);
    assert.equal(config.rpcUrl, "http://127.0.0.1:8545");
    assert.equal(config.ipfsApiUrl, "http://127.0.0.1:5001");
    assert.equal(config.http.host, "127.0.0.1");
    assert.equal(config.chain.confirmations, 1);
    assert.equal(config.privateKey.reveal(), LOCAL_ORACLE_KEY);
    assert.match(config.deploymentsFile, /deployments\/localhost\.json$/);
    const local = loadConfig({}, dir);
    assert.equal(local.source, LOCAL_CONFIG);
    assert.equal(local.serve.providers, "*");
    assert.equal(local.chain.confirmations, 0);
    const ports = loadConfig(
      {
        ...withFile({ serve: { providers: "*" } }),
        CHAIN_PORT: "18545",
        IPFS_API_PORT: "15001",
        ORACLE_HTTP_PORT: "0",
      },
      dir,
    );
    assert.equal(ports.rpcUrl, "http://127.0.0.1:18545");
    assert.equal(ports.ipfsApiUrl, "http://127.0.0.1:15001");
    assert.equal(ports.http.port, 0);
  });

  it("reports every problem at once, naming the setting", () => {
    const error = (() => {
      try {
        loadConfig(
          withFile({
            serve: { providers: ["0x12"] },
            chain: { confirmations: -1 },
            probes: { intervalMs: 0 },
            extra: 1,
          }),
          dir,
        );
      } catch (e) {
        return e as Error;
      }
    })();
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /serve\.providers\.0: must be a 0x-prefixed 20-byte address/);
    assert.match(error.message, /chain\.confirmations/);
    assert.match(error.message, /probes\.intervalMs/);
    assert.match(error.message, /Unrecognized key: "extra"/);
  });

  it("refuses bad environment values, unreadable files and missing keys for remote chains", () => {
    assert.throws(
      () => loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_PRIVATE_KEY: "0x1234" }, dir),
      /ORACLE_PRIVATE_KEY: must be a 0x-prefixed 32-byte hex private key/,
    );
    assert.throws(() => loadConfig({ ORACLE_CONFIG: join(dir, "missing.json") }, dir), /cannot read/);
    assert.throws(() => loadConfig(withFile("{not json"), dir), /not JSON/);
    assert.throws(() => loadConfig(withFile({}), dir), /serve: list the providers/);
    assert.throws(
      () =>
        loadConfig(withFile({ serve: { providers: "*" }, network: { bootstrap: ["/ip4/10.0.0.1/tcp/9474"] } }), dir),
      /network.bootstrap.0: must end with \/p2p\/<peer id>/,
    );
    assert.throws(
      () => loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_P2P_LISTEN: "tcp:9474" }, dir),
      /ORACLE_P2P_LISTEN.*must be a multiaddr/,
    );
    assert.throws(
      () => loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_RPC_URL: "https://rpc.example.org" }, dir),
      /ORACLE_PRIVATE_KEY: required for a chain that is not on this machine/,
    );
    assert.throws(
      () => loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_HTTP_PORT: "99999" }, dir),
      /ORACLE_HTTP_PORT/,
    );
  });

  it("starts the cloud adapters that have settings, and names the setting an adapter refuses", async () => {
    const config = loadConfig(
      { ...withFile({ serve: { providers: "*" }, adapters: { aws: AWS_ONE_REGION } }), ORACLE_DATA_DIR: dir },
      dir,
    );
    assert.deepEqual(
      (await createProvisioners(config, 31337)).map((a) => a.cloud),
      ["local", "aws"],
    );
    const local = loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_DATA_DIR: dir }, dir);
    assert.deepEqual(
      (await createProvisioners(local, 31337)).map((a) => a.cloud),
      ["local"],
    );

    const bad = loadConfig(
      { ...withFile({ serve: { providers: "*" }, adapters: { gcp: { project: "" } } }), ORACLE_DATA_DIR: dir },
      dir,
    );
    await assert.rejects(
      createProvisioners(bad, 31337),
      (error: Error) => error instanceof ConfigError && /adapters\.gcp\.project/.test(error.message),
    );
  });

  it("never prints the private key", () => {
    const key = "0x" + "ab".repeat(32);
    const config = loadConfig({ ...withFile({ serve: { providers: "*" } }), ORACLE_PRIVATE_KEY: key }, dir);
    assert.equal(config.privateKey.reveal(), key);
    assert.ok(!JSON.stringify(config).includes("abab"));
    assert.ok(!inspect(config, { depth: 10 }).includes("abab"));
    assert.ok(!String(config.privateKey).includes("abab"));
    let logged = "";
    const log = createLogger("info", { write: (line: string) => (logged += line) });
    log.info({ config, privateKey: key, access: { credentials: { secret: "s" } } }, "start");
    assert.ok(!logged.includes("abab") && logged.includes("[redacted]"), logged);
  });
});
