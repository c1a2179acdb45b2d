import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed GraphQL documents: every `graphql(...)` in src is checked against the subgraph's API schema.
const config: CodegenConfig = {
  schema: "schema/subgraph.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/generated/**"],
  ignoreNoDocuments: true,
  generates: {
    "src/generated/gql/": {
      preset: "client",
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { BigInt: "string", BigDecimal: "string", Bytes: "string", Int8: "string", Timestamp: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
