import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { LocalProvisioner } from "../../src/provisioners/local.ts";
import type { Machine } from "../../src/provisioners/types.ts";
import { listing, provisionRequest } from "./fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "local-adapter-"));
const adapter = new LocalProvisioner(root);
after(async () => {
  for (const id of [1n, 2n]) await adapter.deprovision(id);
  rmSync(root, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function files(machine: Machine, name: string, init: RequestInit = {}) {
  const headers = { authorization: `Bearer ${machine.access!.credentials.secret}` };
  return fetch(`${machine.access!.url}files/${name}`, { ...init, headers, signal: AbortSignal.timeout(2_000) });
}

const answers = (machine: Machine) =>
  fetch(`${machine.access!.url}healthz`, { signal: AbortSignal.timeout(1_000) }).then(
    (response) => response.ok,
    () => false,
  );

describe("local adapter: pause and resume", () => {
  it("stops serving a paused workload but keeps its files, and serves them again on the same port", async () => {
    const machine = await adapter.provision(provisionRequest(1n, listing("local", "local")));
    assert.equal((await files(machine, "notes.txt", { method: "PUT", body: "kept" })).status, 201);

    await adapter.pause(1n);
    await adapter.pause(1n);
    await until("the workload to stop answering", async () => ((await answers(machine)) ? undefined : true));
    assert.equal((await adapter.describe(1n))?.state, "stopped");

    await adapter.resume(1n);
    await adapter.resume(1n);
    await until("the workload to answer again", async () => ((await answers(machine)) ? true : undefined));
    const resumed = await adapter.describe(1n);
    assert.equal(resumed?.state, "running");
    assert.equal(resumed?.access?.url, machine.access?.url, "same address and port");
    assert.equal(resumed?.access?.credentials.secret, machine.access?.credentials.secret, "same token");
    assert.equal(await (await files(machine, "notes.txt")).text(), "kept");
  });

  it("starts a host that stopped meanwhile, and refuses to resume a workload that is gone", async () => {
    const machine = await adapter.provision(provisionRequest(2n, listing("local", "local")));
    await adapter.pause(2n);
    const pid = Number(machine.instanceId.split(":")[0]);
    process.kill(pid, "SIGKILL");
    const alive = () => {
      try {
        return process.kill(pid, 0);
      } catch {
        return false;
      }
    };
    await until("the host to be gone", async () => (alive() ? undefined : true));
    await adapter.resume(2n);
    await until("the workload to answer again", async () => ((await answers(machine)) ? true : undefined));

    await assert.rejects(
      adapter.resume(3n),
      (error: Error) => error.name === "ProvisionerError" && /gone/.test(error.message),
    );
    await adapter.pause(3n);
  });
});
