// Scenario: the HTTP surface under attack. A real `serve` (src/http/main.ts startServer) over the
// scenario's Redis, three workers parked through the API (one waiting for an event, one whose
// resume link was used once, one running) and no consumer, so a request that slipped through would
// leave a job queued. Then malformed requests from test/http/fuzz.ts, 20 in flight: 100,000 at full
// size, 2,000 reduced. Each must be a 4xx problem with a code, the deployment's keys the same after
// (a digest), the server still up; at full size the p99 answer time is at most 50 ms.

import { loadHttpConfig } from '../../../src/http/config.js';
import { startServer } from '../../../src/http/main.js';
import { loadEnv } from '../../../src/lib/config.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { API_ENV, stateDigest, WRITE_KEY } from '../../http/api-env.js';
import { fireMalformed, percentileMs } from '../../http/fuzz.js';
import { ChaosEnv } from '../env.js';
import { loadSize } from '../sizes.js';
import { ANY_TARGET, check, type Scenario } from '../types.js';
import { result } from './load.js';

const P99_BAR_MS = 50;

export const httpAttack: Scenario = {
  name: 'http-attack',
  title: 'malformed, forged and replayed HTTP requests against serve: only 4xx, nothing changes',
  targets: ANY_TARGET,
  async run(ctx) {
    const started = Date.now();
    const requests = ctx.size === 'full' ? 100_000 : 2000;
    const env = await ChaosEnv.create({
      name: 'http-attack',
      target: ctx.target,
      consumers: loadSize(ctx.size).settings,
    });
    const server = await startServer(
      { host: '127.0.0.1', port: 0, insecureNoAuth: false },
      loadEnv({
        ...env.target.env,
        RESUME_PARTITIONS: String(env.target.partitions),
        RESUME_PREFIX: env.prefix,
        LOG_LEVEL: 'silent',
      }),
      loadHttpConfig({ ...API_ENV, HTTP_BODY_LIMIT: '8192' }),
      silentLogger,
    );
    try {
      const call = async (path: string, body: unknown) => {
        const res = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${text}`);
        return JSON.parse(text) as Record<string, unknown>;
      };
      for (const id of ['fz-1', 'fz-2', 'fz-3']) await call('/v1/workers', { id, name: id, task: 't' });
      await call('/v1/workers/fz-1/suspend', {
        reason: 'approval',
        conditions: { on_event: 'fuzz.event', timeout: { duration_ms: 3_600_000 } },
      });
      const fz2 = await call('/v1/workers/fz-2/suspend', { reason: 'approval', resume_token: true });
      const usedToken = String(fz2.resume_token);
      const first = await fetch(`${server.url}/v1/resume/${usedToken}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'first use' }),
      });
      if (first.status !== 202) throw new Error(`first use of the link: ${first.status}`);

      const before = await stateDigest(env.admin, env.prefix);
      ctx.log(`http-attack: ${requests} malformed requests`);
      const run = await fireMalformed(server.url, requests, usedToken, ctx.seed);
      const after = await stateDigest(env.admin, env.prefix);
      const health = await fetch(`${server.url}/healthz`)
        .then((r) => r.status)
        .catch(() => 0);
      const p99 = percentileMs(run.ms, 99);
      const kinds = [400, 401, 403, 404, 410, 413, 415, 422];
      const missingKinds = kinds.filter((s) => !run.statuses.has(s));
      return result(
        'http-attack',
        httpAttack.title,
        started,
        { requests, inFlight: 20 },
        {
          sent: run.sent,
          statuses: Object.fromEntries([...run.statuses].map(([s, n]) => [String(s), n])),
          answerMs: {
            p50: Math.round(percentileMs(run.ms, 50) * 10) / 10,
            p99: Math.round(p99 * 10) / 10,
            max: Math.round(Math.max(0, ...run.ms) * 10) / 10,
          },
        },
        [
          check(
            'only-4xx-problems',
            run.offender === null && run.sent === requests,
            `${run.sent} of ${requests} answered, each a 4xx problem with a code`,
            run.offender ? [run.offender] : [],
          ),
          check(
            'nothing-changed',
            before === after,
            "the digest of the deployment's keys is the same after the run",
          ),
          check('server-up', health === 200, `/healthz answers ${health} after the run`),
          check(
            'every-refusal-kind',
            missingKinds.length === 0,
            `refusals of every kind were reached (${missingKinds.length} of ${kinds.length} missing)`,
            missingKinds.map(String),
          ),
          check(
            'p99-answer-time',
            p99 <= P99_BAR_MS,
            `p99 answer time ${p99.toFixed(1)} ms (bar ${P99_BAR_MS} ms)`,
            [],
            ctx.size === 'full' ? 'fail' : 'warn',
          ),
        ],
      );
    } finally {
      await server.stop();
      await env.close();
    }
  },
};
