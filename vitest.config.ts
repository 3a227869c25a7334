import { defineConfig } from 'vitest/config';

/**
 * Files that start no coordinator, operator or browser process: pure logic, the in-process engine harness, the
 * store contract (each test on a place of its own: a fresh folder, or a schema named after that folder), the
 * sandbox runtime in worker threads, and in-process coordinators on port 0. They wait for events, not for time,
 * so they may run side by side.
 */
const IN_PROCESS = [
  'test/unit/**/*.test.ts',
  'test/engine/**/*.test.ts',
  'test/contract/**/*.test.ts',
  'test/runtime/**/*.test.ts',
  'test/ha/epoch-fence.test.ts',
  'test/rouge.test.ts',
  'test/bad-input.test.ts',
  'test/boundary-limits.test.ts',
  'test/trust-api.test.ts',
];

const timeouts = { testTimeout: 120_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'in-process',
          include: IN_PROCESS,
          maxWorkers: 2,
          ...timeouts,
        },
      },
      {
        test: {
          name: 'processes',
          include: ['test/**/*.test.ts'],
          exclude: IN_PROCESS,
          // Real coordinators, operator fleets and browsers share 2 cores: one file at a time, after the
          // in-process files, with generous hook timeouts.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          ...timeouts,
        },
      },
    ],
  },
});
