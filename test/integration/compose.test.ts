// docker-compose.yml must stay valid: `docker-compose config` parses and validates it without a
// Docker engine. A missing binary fails the test (CI installs it), so validation is never skipped.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function compose(args: string[]) {
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('docker-compose.yml', () => {
  test('validates with docker-compose config -q', () => {
    const result = compose(['config', '-q']);
    if (result.error) {
      expect.fail(
        `docker-compose is not installed (${result.error.message}): install it to validate docker-compose.yml, ` +
          'e.g. `apt-get install -y docker-compose` (.ci/run does this)',
      );
    }
    expect(result.status, result.stderr).toBe(0);
  });

  test('runs three consumers against a Redis with AOF and noeviction', () => {
    const result = compose(['config']);
    if (result.error) expect.fail(`docker-compose is not installed: ${result.error.message}`);
    expect(result.status, result.stderr).toBe(0);
    const config = result.stdout;
    expect(config).toMatch(/image: redis:7/);
    for (const flag of ['--appendonly', '--appendfsync', '--maxmemory-policy', 'noeviction']) {
      expect(config).toContain(flag);
    }
    expect(config).toMatch(/replicas: 3/);
    expect(config).toContain('REDIS_URL: redis://redis:6379');
  });
});
