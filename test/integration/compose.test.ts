// docker-compose.yml must stay valid: `docker-compose config` parses and validates it without a
// Docker engine. Where the binary is missing the tests are skipped with a message saying how to get
// it (a newcomer's `npm test` passes); under CI=true a missing binary fails them (.ci/run installs it).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, type TestContext, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function compose(args: string[], env: Record<string, string> = {}) {
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

const available = !compose(['version', '--short']).error;
const MISSING =
  'docker-compose is not installed: install it to validate docker-compose.yml, e.g. ' +
  '`apt-get install -y docker-compose` (.ci/run does this)';

if (!available && process.env.CI !== 'true') console.warn(`compose tests skipped: ${MISSING}`);

/** Skips the test (with the message) where docker-compose is missing, except under CI. */
function needCompose(ctx: TestContext): void {
  if (available) return;
  if (process.env.CI === 'true') expect.fail(`${MISSING}; under CI=true it is required`);
  ctx.skip(MISSING);
}

/** The resolved configuration (`docker-compose config`), as text. */
function resolved(env: Record<string, string> = {}): string {
  const result = compose(['config'], env);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('docker-compose.yml', () => {
  test('validates with docker-compose config -q', (ctx) => {
    needCompose(ctx);
    const result = compose(['config', '-q']);
    expect(result.status, result.stderr).toBe(0);
  });

  test('runs three consumers against a Redis with AOF and noeviction', (ctx) => {
    needCompose(ctx);
    const config = resolved();
    expect(config).toMatch(/image: redis:7/);
    for (const flag of ['--appendonly', '--appendfsync', '--maxmemory-policy', 'noeviction']) {
      expect(config).toContain(flag);
    }
    expect(config).toMatch(/replicas: 3/);
    expect(config).toContain('REDIS_URL: redis://redis:6379');
  });

  test('runs the HTTP API on port 8080 with the keys and secrets from the environment', (ctx) => {
    needCompose(ctx);
    const config = resolved({
      API_KEYS: 'ops:compose-test-key-0123456789:write',
      RESUME_TOKEN_SECRET: 's'.repeat(40),
    });
    const api = config.slice(config.indexOf('\n  api:'));
    expect(api).toMatch(/- serve\b/);
    expect(api).toMatch(/- 0\.0\.0\.0/);
    expect(api).toMatch(/8080/);
    expect(api).toContain('API_KEYS: ops:compose-test-key-0123456789:write');
    expect(api).toContain(`RESUME_TOKEN_SECRET: ${'s'.repeat(40)}`);
    expect(api).toContain('/readyz');
    // Without keys in the environment the file is still valid (the server refuses to start instead).
    expect(compose(['config', '-q'], { API_KEYS: '' }).status).toBe(0);
  });
});
