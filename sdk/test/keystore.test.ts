import assert from "node:assert/strict";
import { test } from "node:test";

import { decryptKeystoreJson, encryptKeystoreJson } from "ethers";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { decryptKeystore, encryptKeystore } from "../src/keystore.ts";

test("a keystore opens with its password only", async () => {
  const key = generatePrivateKey();
  const document = await encryptKeystore(key, "correct horse", { n: 1024 });
  assert.equal(`0x${document.address}`, privateKeyToAccount(key).address.toLowerCase());
  assert.equal(await decryptKeystore(JSON.stringify(document), "correct horse"), key);
  await assert.rejects(decryptKeystore(document, "wrong"), /Wrong keystore password/);
  await assert.rejects(decryptKeystore({ version: 1 }, "x"), /Not a supported keystore file/);
});

test("ethers reads the keystores written here, and they read ethers' (the same Web3 Secret Storage format)", async () => {
  const key = generatePrivateKey();
  const ours = await encryptKeystore(key, "pass phrase", { n: 1024 });
  assert.equal((await decryptKeystoreJson(JSON.stringify(ours), "pass phrase")).privateKey, key);
  const theirs = await encryptKeystoreJson(
    { address: privateKeyToAccount(key).address, privateKey: key },
    "pass phrase",
    {
      scrypt: { N: 1024 },
    },
  );
  assert.equal(await decryptKeystore(theirs, "pass phrase"), key);
});
