import js from "@eslint/js";
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
      "bench-results",
      "subgraph/generated",
      "subgraph/build",
      "subgraph/abis",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
