import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { privateKeyToAccount } from "viem/accounts";

import {
  type Attestation,
  CancelReason,
  type Provisioning,
  type SlaReport,
  recoverAttestationSigner,
  recoverConsumerFaultSigner,
  recoverPermitSigner,
  recoverProvisioningSigner,
  recoverSlaReportSigner,
  signAttestation,
  signConsumerFault,
  signPermit,
  signProvisioning,
  signSlaReport,
  slaReport,
} from "../src/index.ts";

const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const report: SlaReport = slaReport(7n, 2, [
  { uptimeBps: 9_950, p95LatencyMs: 40, sampleCount: 60 },
  { uptimeBps: 10_000, p95LatencyMs: 38, sampleCount: 60 },
]);

describe("signed messages", () => {
  it("signs an SLA report of several periods and recovers its signer, for this chain and contract only", async () => {
    const signature = await signSlaReport(account, 31337, CONTRACT, report);
    assert.equal(await recoverSlaReportSigner(31337, CONTRACT, report, signature), account.address);
    assert.notEqual(await recoverSlaReportSigner(1, CONTRACT, report, signature), account.address);
    assert.notEqual(
      await recoverSlaReportSigner(31337, CONTRACT, { ...report, uptimeBps: [9_950, 9_999] }, signature),
      account.address,
    );
  });

  it("signs a provisioning confirmation and recovers its signer, for this booking, consumer and access details only", async () => {
    const provisioning = { bookingId: 7n, consumer: account.address, accessDetailsCid: "bafyaccess" };
    const signature = await signProvisioning(account, 31337, CONTRACT, provisioning);
    assert.equal(await recoverProvisioningSigner(31337, CONTRACT, provisioning, signature), account.address);
    const alterations: Partial<Provisioning>[] = [{ bookingId: 8n }, { consumer: CONTRACT }, { accessDetailsCid: "x" }];
    for (const altered of alterations) {
      const other = { ...provisioning, ...altered };
      assert.notEqual(await recoverProvisioningSigner(31337, CONTRACT, other, signature), account.address);
    }
    assert.notEqual(await recoverProvisioningSigner(31337, account.address, provisioning, signature), account.address);
  });

  it("signs a consumer-fault statement and recovers its signer, for this booking and reason only", async () => {
    const fault = { bookingId: 7n, consumer: account.address, reason: CancelReason.UnusableEncryptionKey };
    const signature = await signConsumerFault(account, 31337, CONTRACT, fault);
    assert.equal(await recoverConsumerFaultSigner(31337, CONTRACT, fault, signature), account.address);
    const other = { ...fault, reason: CancelReason.ByConsumer };
    assert.notEqual(await recoverConsumerFaultSigner(31337, CONTRACT, other, signature), account.address);
    // The same fields under another message type are another statement.
    const asProvisioning = { bookingId: 7n, consumer: account.address, accessDetailsCid: "" };
    assert.notEqual(await recoverProvisioningSigner(31337, CONTRACT, asProvisioning, signature), account.address);
  });

  it("signs a resource attestation and recovers its signer", async () => {
    const attestation: Attestation = {
      resourceId: 3n,
      metadataVersion: 1,
      cloud: "aws",
      region: "us-east-1",
      instanceType: "g5.xlarge",
      accountHash: `0x${"12".repeat(32)}`,
      issuedAt: 1_000n,
      expiresAt: 2_000n,
    };
    const signature = await signAttestation(account, 31337, CONTRACT, attestation);
    assert.equal(await recoverAttestationSigner(31337, CONTRACT, attestation, signature), account.address);
  });

  it("signs an EIP-2612 permit split into v, r and s", async () => {
    const domain = { name: "D-CloudX", version: "1", chainId: 31337n, verifyingContract: CONTRACT } as const;
    const permit = { owner: account.address, spender: CONTRACT, value: 5n, nonce: 0n, deadline: 99n } as const;
    const { v, r, s, deadline } = await signPermit(account, domain, permit);
    assert.equal(deadline, 99n);
    assert.ok(v === 27 || v === 28);
    const signature = `${r}${s.slice(2)}${v.toString(16)}` as const;
    assert.equal(await recoverPermitSigner(domain, permit, signature), account.address);
  });
});
