import { defineConfig } from "vitest/config";

// One run over every package (vitest projects). `npm test` builds first: the
// end-to-end tests start the built examples, as a user would.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "server",
          include: ["packages/server/test/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "oauth",
          include: ["packages/oauth/test/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "providers",
          include: ["packages/providers-*/test/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
