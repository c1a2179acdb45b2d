import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules",
      "artifacts",
      "cache",
      "coverage",
      "types",
      "sdk/src/generated",
      "sdk/dist",
      "bench-results",
      "subgraph/generated",
      "subgraph/src/generated",
      "subgraph/build",
      "subgraph/abis",
      "dapp/src/generated",
      "dapp/dist",
      "dapp/test-results",
      ".data",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["dapp/src/**/*.{ts,tsx}"],
    ...reactHooks.configs.flat.recommended,
  },
);
