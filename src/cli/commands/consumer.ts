// `consumer`: runs a consumer process until SIGTERM/SIGINT (graceful: running jobs finish first).
// The composition root in src/consumers/main.ts reads the environment and owns the signals.

import { runConsumerProcess } from '../../consumers/main.js';
import { intFlag, positionalArgs } from '../args.js';
import type { Command } from '../command.js';
import { redactUrl } from '../output.js';

export const consumerCommand: Command = {
  name: 'consumer',
  help: `Usage: resume-processor consumer [--concurrency N] [--metrics-port N] [--json]

Runs a consumer process: takes resume requests and timeout jobs, locks each worker, runs the
resume and enqueues the respawn job on the "tasks" queue. Start as many as the load needs.
SIGTERM or SIGINT stops taking jobs, lets running ones finish, closes connections and exits 0.
Once started it prints one line ({"started":true,...} with --json); logs go to stderr.

  --concurrency N   jobs processed at once (default: CONSUMER_CONCURRENCY, 16)
  --metrics-port N  serve this process's Prometheus metrics at http://0.0.0.0:N/metrics (default:
                    METRICS_PORT; unset: none). Every consumer also adds its counts to the fleet's
                    totals in Redis, which serve's /metrics shows (docs/operations.md)

Configured by REDIS_URL or REDIS_CLUSTER_NODES, RESUME_PREFIX, RESUME_PARTITIONS, LOG_LEVEL,
REDLOCK_URLS, CONSUMER_CONCURRENCY, TIMEOUT_CONCURRENCY, LOCK_TTL_MS, HOOK_TIMEOUT_MS,
STALLED_INTERVAL_MS, RECONCILE_INTERVAL_MS and KEEP_COMPLETED_JOBS.

Example:
  REDIS_URL=redis://127.0.0.1:6379 resume-processor consumer --concurrency 32`,
  flags: { concurrency: { type: 'string' }, 'metrics-port': { type: 'string' } },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const concurrency = intFlag(ctx.flags, 'concurrency') ?? ctx.env.CONSUMER_CONCURRENCY;
    const metricsPort = intFlag(ctx.flags, 'metrics-port', 0);
    const running = await runConsumerProcess({
      concurrency,
      ...(metricsPort === undefined ? {} : { metricsPort }),
    });
    const document = {
      started: true,
      pid: process.pid,
      prefix: ctx.env.RESUME_PREFIX,
      concurrency,
      ...(running.metricsPort === null ? {} : { metricsPort: running.metricsPort }),
      ...(ctx.env.REDIS_CLUSTER_NODES
        ? { redisClusterNodes: ctx.env.REDIS_CLUSTER_NODES.split(',').map((n) => n.trim()) }
        : { redisUrl: redactUrl(ctx.env.REDIS_URL) }),
    };
    const metrics = running.metricsPort === null ? '' : `, metrics on port ${running.metricsPort}`;
    const human = `consumer started (pid ${process.pid}, prefix ${ctx.env.RESUME_PREFIX}, concurrency ${concurrency}${metrics}); SIGTERM or Ctrl-C stops it`;
    return { document, human, keepAlive: true };
  },
};
