/**
 * Type-checking is `npm run typecheck` (tsc over the whole tree); jest only transpiles, so each
 * test file starts fast.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/lib', '<rootDir>/subgraphs', '<rootDir>/router', '<rootDir>/schema', '<rootDir>/scripts'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  // Several instances sharing one database and one broker need a real PostgreSQL and Redis.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.DATABASE_URL && process.env.REDIS_URL ? [] : ['\\.shared-services\\.test\\.ts$'])],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/lib/testing/env.ts'],
  reporters: ['default', '<rootDir>/lib/testing/summary-reporter.js'],
};
