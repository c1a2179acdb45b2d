import { deriveAccessKeyPair, encryptAccessDetails, type AccessDetails } from "@d-cloudx/sdk/access";
import { describe, expect, it, vi } from "vitest";

import { accessLink, openEnvelope, sshCommand } from "../src/pages/bookings/accessDetails.ts";
import { bookingsVariables } from "../src/pages/bookings/queries.ts";

const signature = (byte: number) => `0x${byte.toString(16).padStart(2, "0").repeat(64)}1b`;
const consumer = deriveAccessKeyPair(signature(0x11));
const stranger = deriveAccessKeyPair(signature(0x22));

const local: AccessDetails = {
  protocol: "http",
  host: "127.0.0.1",
  port: 41234,
  user: "consumer",
  credentials: { kind: "bearer-token", secret: "s3cret-token" },
  url: "http://127.0.0.1:41234/",
};
const ssh: AccessDetails = {
  protocol: "ssh",
  host: "203.0.113.7",
  port: 22,
  user: "ubuntu",
  credentials: { kind: "ssh-private-key", secret: "-----BEGIN OPENSSH PRIVATE KEY-----\n…" },
};

// As fetched in the page: jsdom's TextEncoder returns arrays of another realm than the page's Uint8Array.
const utf8 = (text: string) => Uint8Array.from(new TextEncoder().encode(text));
const bytes = (value: unknown) => utf8(JSON.stringify(value));

describe("openEnvelope", () => {
  it("decrypts details encrypted to the booking's key", () => {
    const envelope = bytes(encryptAccessDetails(consumer.publicKey, local));
    expect(openEnvelope(envelope, consumer, consumer.publicKeyHex)).toEqual({ ok: true, details: local });
  });

  it("says when the wallet now derives another key than the booking was made with", () => {
    const envelope = bytes(encryptAccessDetails(consumer.publicKey, local));
    const result = openEnvelope(envelope, stranger, consumer.publicKeyHex);
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/different access key/) });
  });

  it("reports an envelope encrypted to another key or tampered with", () => {
    const toStranger = bytes(encryptAccessDetails(stranger.publicKey, local));
    expect(openEnvelope(toStranger, consumer, consumer.publicKeyHex)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/cannot be decrypted/),
    });
    const envelope = encryptAccessDetails(consumer.publicKey, local);
    const flipped = Buffer.from(envelope.ciphertext, "base64");
    flipped[0]! ^= 1;
    const tampered = bytes({ ...envelope, ciphertext: flipped.toString("base64") });
    expect(openEnvelope(tampered, consumer, consumer.publicKeyHex)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/altered/),
    });
  });

  it("reports documents that are not envelopes", () => {
    for (const junk of [utf8("<script>alert(1)</script>"), bytes({ version: 2 }), new Uint8Array([0xff, 0xfe])]) {
      expect(openEnvelope(junk, consumer, consumer.publicKeyHex)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/malformed/),
      });
    }
  });
});

describe("accessLink", () => {
  it("links https anywhere and plain http only on loopback", () => {
    expect(accessLink(local)).toBe("http://127.0.0.1:41234/");
    expect(accessLink({ ...local, url: "http://localhost:8080/app" })).toBe("http://localhost:8080/app");
    expect(accessLink({ ...local, protocol: "https", url: "https://vm.example.com/" })).toBe("https://vm.example.com/");
    expect(accessLink({ ...local, url: undefined, host: "127.0.0.1", port: 9000 })).toBe("http://127.0.0.1:9000/");
  });

  it("never links other schemes, plain http elsewhere, credentials or ssh", () => {
    for (const url of [
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "http://203.0.113.7/",
      "http://127.0.0.1.evil.example/",
      "https://user:pass@vm.example.com/",
      "https://vm.example.com@evil.example/",
      "not a url",
    ]) {
      expect(accessLink({ ...local, url }), url).toBeUndefined();
    }
    expect(accessLink(ssh)).toBeUndefined();
    expect(accessLink({ ...local, url: undefined, host: "evil.example" })).toBeUndefined();
  });
});

describe("sshCommand", () => {
  it("suggests a command only when every part is plain text to a shell", () => {
    expect(sshCommand(ssh)).toBe("ssh -i <saved key file> -p 22 ubuntu@203.0.113.7");
    expect(sshCommand({ ...ssh, credentials: { kind: "password", secret: "x" } })).toBe("ssh -p 22 ubuntu@203.0.113.7");
    expect(sshCommand({ ...ssh, host: "h; rm -rf ~" })).toBeUndefined();
    expect(sshCommand({ ...ssh, user: "$(curl evil)" })).toBeUndefined();
    expect(sshCommand({ ...ssh, host: "-oProxyCommand=evil" })).toBeUndefined();
    expect(sshCommand(local)).toBeUndefined();
  });
});

describe("bookingsVariables", () => {
  it("asks for one booking more than a page, from the page's first, for the lower-cased account", () => {
    expect(bookingsVariables("0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", 0)).toEqual({
      consumer: "0x14dc79964da2c08b23698b3d3cc7ca32193d9955",
      first: 11,
      skip: 0,
    });
    expect(bookingsVariables("0xAB", 2).skip).toBe(20);
    expect(bookingsVariables("0xAB", -1).skip).toBe(0);
  });
});

describe("decryption in a browser", () => {
  it("needs no Node Buffer", () => {
    const envelope = bytes(encryptAccessDetails(consumer.publicKey, ssh));
    vi.stubGlobal("Buffer", undefined);
    try {
      expect(openEnvelope(envelope, consumer, consumer.publicKeyHex)).toEqual({ ok: true, details: ssh });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
