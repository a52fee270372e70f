import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Each file runs its own redis-server; two at a time suits a 2-core machine.
          maxWorkers: 2,
          // One token per run: the files that use the sudo test user share its password (support/sudo-password.ts).
          globalSetup: ['test/support/sudo-run.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
