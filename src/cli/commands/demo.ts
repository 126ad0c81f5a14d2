// `demo`: runs the whole system on this machine and checks its guarantees (see demo/run.ts).

import { randomInt } from 'node:crypto';
import { intFlag, positionalArgs } from '../args.js';
import type { Command } from '../command.js';
import { runDemo } from '../demo/run.js';
import { EXIT } from '../output.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a local demo with several consumers and check the guarantees',
  help: `Usage: resume-processor demo [--workers N] [--consumers N] [--seed N] [--cluster] [--keep] [--json]

Registers and suspends workers (some with short timeouts of each action), sends resume requests
(duplicates, some racing their timeout, some after a close), runs consumer processes, waits for
every outcome and timeout, prints what happened and checks the guarantees. Exits 1 if a check fails.

Uses REDIS_CLUSTER_NODES or REDIS_URL when set; otherwise starts a private redis-server from PATH
(with --cluster, a private 3-master Redis Cluster), stopped at the end. Every run uses a fresh
prefix; its keys are removed from your Redis unless --keep is given. On a cluster the deployment has
RESUME_PARTITIONS partitions (default 6 there, so every master carries some).

  --workers N     workers to suspend (default 300)
  --consumers N   consumer processes (default 3)
  --seed N        workload seed, to repeat a run (default: random, printed)
  --cluster       run on a private 3-master Redis Cluster (redis-server and redis-cli from PATH)
  --keep          keep the demo's keys in your Redis for inspection

Example:
  npm run demo
  npm run demo -- --cluster
  REDIS_URL=redis://127.0.0.1:6379 resume-processor demo --workers 1000 --consumers 4`,
  flags: {
    workers: { type: 'string' },
    consumers: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean' },
    cluster: { type: 'boolean' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const cluster = ctx.flags.cluster === true || ctx.env.REDIS_CLUSTER_NODES !== undefined;
    const report = await runDemo({
      workers: intFlag(ctx.flags, 'workers') ?? 300,
      consumers: intFlag(ctx.flags, 'consumers') ?? 3,
      seed: intFlag(ctx.flags, 'seed', 0) ?? randomInt(1_000_000),
      partitions: process.env.RESUME_PARTITIONS ? ctx.env.RESUME_PARTITIONS : cluster ? 6 : 1,
      redis: {
        // The config default (127.0.0.1:6379) must not count as "set": unset means a private server.
        userUrl: process.env.REDIS_URL ? ctx.env.REDIS_URL : undefined,
        userClusterNodes: ctx.env.REDIS_CLUSTER_NODES?.split(',').map((n) => n.trim()),
        cluster,
      },
      keep: ctx.flags.keep === true,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    const { text, ...document } = report;
    return { document, human: text, exitCode: report.passed ? EXIT.ok : EXIT.error };
  },
};
