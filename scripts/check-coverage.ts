/**
 * Fails unless the line coverage of contracts/ (test and local-chain mocks aside) reaches the
 * threshold, reading the lcov report that `hardhat test --coverage` writes.
 */
import { readFileSync } from "node:fs";

const THRESHOLD_PERCENT = 95;
const REPORT = "coverage/lcov.info";

let found = 0;
let hit = 0;
let counted = false;
for (const line of readFileSync(REPORT, "utf8").split("\n")) {
  if (line.startsWith("SF:")) counted = line.includes("contracts/") && !line.includes("contracts/mocks/");
  else if (counted && line.startsWith("LF:")) found += Number(line.slice(3));
  else if (counted && line.startsWith("LH:")) hit += Number(line.slice(3));
}
if (found === 0) throw new Error(`${REPORT} has no lines of contracts/`);

const percent = (100 * hit) / found;
console.log(`Line coverage of contracts/: ${percent.toFixed(2)} % (${hit} of ${found} lines)`);
if (percent < THRESHOLD_PERCENT) {
  console.error(`Below the required ${THRESHOLD_PERCENT} %.`);
  process.exit(1);
}
