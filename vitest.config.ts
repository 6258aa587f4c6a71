import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/buildBundle.ts", "test/scratchDir.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers and child processes: keep the 2-core machine responsive.
    maxWorkers: 2,
    minWorkers: 1
  }
})
