// `demo`: runs the whole system on this machine and checks its guarantees (see demo/run.ts).

import { randomInt } from 'node:crypto';
import { intFlag, positionalArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { type DemoDeployment, type DemoReport, runDemo } from '../demo/run.js';
import { servingText, startDemoServer, untilSignal } from '../demo/serve.js';
import { EXIT } from '../output.js';

export const demoCommand: Command = {
  name: 'demo',
  help: `Usage: resume-processor demo [--workers N] [--consumers N] [--seed N] [--cluster] [--keep] [--serve [--port N]] [--json]

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
  --serve         after the checks, keep the demo running for a person to look at: a consumer,
                  demo workers left suspended (some overdue, some with deadlines ahead) and the
                  HTTP server with the dashboard on 127.0.0.1, with an API key made for this run;
                  prints the dashboard's URL and the key, runs until Ctrl-C (then cleans up)
  --port N        the --serve port (default 8080; 0 picks a free one)

Example:
  npm run demo
  npm run demo -- --cluster
  npm run demo -- --serve          # then open the printed URL and log in with the printed key
  REDIS_URL=redis://127.0.0.1:6379 resume-processor demo --workers 1000 --consumers 4`,
  flags: {
    workers: { type: 'string' },
    consumers: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean' },
    cluster: { type: 'boolean' },
    serve: { type: 'boolean' },
    port: { type: 'string' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const serve = ctx.flags.serve === true;
    const port = intFlag(ctx.flags, 'port', 0) ?? 8080;
    if (port > 65535) throw new UsageError('--port must be 0-65535', '--port');
    if (ctx.flags.port !== undefined && !serve) throw new UsageError('--port goes with --serve', '--port');
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
      ...(serve ? { afterChecks: (deployment, report) => serveUntilSignal(deployment, report, port) } : {}),
    });
    const { text, ...document } = report;
    return { document, human: text, exitCode: report.passed ? EXIT.ok : EXIT.error };
  },
};

/**
 * `--serve`: prints the report, serves the dashboard on the demo's deployment until a signal. All
 * of it goes to stderr (a terminal shows it as well): stdout keeps the command's one result.
 */
async function serveUntilSignal(deployment: DemoDeployment, report: DemoReport, port: number): Promise<void> {
  process.stderr.write(`${report.text}\n`);
  process.stderr.write('demo: serving the dashboard (consumer, demo workers, HTTP server)\n');
  const server = await startDemoServer({ ...deployment, port });
  process.stderr.write(servingText(server));
  const signal = await untilSignal();
  process.stderr.write(`demo: ${signal}: stopping the server and the consumer\n`);
  await server.stop();
}
