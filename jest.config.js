const { existsSync } = require('node:fs');
const { delimiter, join } = require('node:path');

/** A Chromium to drive headless: CHROME_PATH, else chromium or chromium-browser on PATH. */
const chromium =
  process.env.CHROME_PATH ||
  (process.env.PATH ?? '')
    .split(delimiter)
    .flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => join(dir, name)))
    .find((file) => existsSync(file));

/** PostgreSQL's server binaries, for tests that run servers of their own (a streaming replica). */
const postgresServer =
  process.env.PG_BIN ||
  (existsSync('/usr/lib/postgresql')
    ? require('node:fs')
        .readdirSync('/usr/lib/postgresql')
        .map((version) => join('/usr/lib/postgresql', version, 'bin'))
        .find((dir) => existsSync(join(dir, 'initdb')))
    : undefined);

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
  // Browser tests need a Chromium on the machine.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.DATABASE_URL && process.env.REDIS_URL ? [] : ['\\.shared-services\\.test\\.ts$']),
    ...(chromium ? [] : ['\\.browser\\.test\\.ts$']),
    ...(postgresServer ? [] : ['\\.cluster\\.test\\.ts$']),
  ],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // otplib's defaults load @scure/base and @noble/hashes, which ship as ES modules only; Node 20 runs
    // them (require of ESM), jest's module loader does not: it gets them compiled to CommonJS
    '/node_modules/@(scure|noble)/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@(scure|noble)/)'],
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/lib/testing/env.ts'],
  reporters: ['default', '<rootDir>/lib/testing/summary-reporter.js'],
};
