// Entry point of the `resume-processor` command line: picks the command, parses its flags,
// validates the environment (loadEnv, before any connection), runs the command, prints one
// result and sets the exit code. Commands only return documents; printing happens here.
// Only what every run needs is imported statically; the environment's schema, Redis, BullMQ and
// OpenTelemetry are imported once a command needs them, and each command's module when it runs
// (commands/index.ts), so `--help` stays fast.

import type { Env } from '../lib/config.js';
import type { TracingSdk } from '../observability/tracing-sdk.js';
import type { Producer } from '../producers/types.js';
import { parseFlags, UsageError, wantsJson } from './args.js';
import type { CliContext, CommandResult } from './command.js';
import { loadCommand } from './commands/index.js';
import { usage } from './help.js';
import { EXIT, printError, printResult } from './output.js';
import type { WorkerReader } from './worker-reader.js';

// A one-shot command closes its connections and the process ends by itself; this only catches a
// handle someone forgot, so a script never hangs on us.
const LINGER_MS = 3000;

async function main(argv: string[]): Promise<void> {
  const json = wantsJson(argv);
  let env: Env | undefined;
  let result: CommandResult;
  try {
    result = await dispatch(argv, json, (e) => {
      env = e;
    });
  } catch (err) {
    finish(printError(err, json, env?.REDIS_URL));
    return;
  }
  printResult(result, json);
  if (!result.keepAlive) finish(result.exitCode ?? EXIT.ok);
}

async function dispatch(argv: string[], json: boolean, onEnv: (env: Env) => void): Promise<CommandResult> {
  // `--json` may also come first: `resume-processor --json status ID`.
  const [name, ...rest] = argv[0] === '--json' ? argv.slice(1) : argv;
  if (name === undefined) throw new UsageError('missing command (see resume-processor --help)', 'command');
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest.find((a) => !a.startsWith('-'));
    const command = topic === undefined ? undefined : await loadCommand(topic);
    if (topic !== undefined && !command) throw new UsageError(`unknown command "${topic}"`, 'command');
    const text = command ? command.help : usage();
    return { document: { help: text }, human: text };
  }
  const command = await loadCommand(name);
  if (!command) throw new UsageError(`unknown command "${name}" (see resume-processor --help)`, 'command');
  const { flags, positionals } = parseFlags(rest, command.flags);
  if (flags.help === true) return { document: { help: command.help }, human: command.help };

  const [{ loadEnv, redisConnection }, { checkCluster }] = await Promise.all([
    import('../lib/config.js'),
    import('../lib/redis.js'),
  ]);
  const env = loadEnv();
  onEnv(env);
  // A command that only reads a worker (status) gets a reader instead: BullMQ stays unloaded.
  const producers = command.readsOnly ? null : await import('../producers/producer.js');
  // The OpenTelemetry SDK is a large import: only when traces are on.
  const tracingSdk = env.OTEL_EXPORTER_OTLP_ENDPOINT ? await import('../observability/tracing-sdk.js') : null;
  // A cluster that cannot serve every slot would hang some commands: say so before starting (the
  // demo brings its own Redis when none is given).
  if (env.REDIS_CLUSTER_NODES && command.name !== 'demo') await checkCluster(redisConnection(env));
  let producer: Producer | undefined;
  let reader: WorkerReader | undefined;
  let tracing = null as TracingSdk | null;
  const ctx: CliContext = {
    flags,
    positionals,
    env,
    json,
    producer: () => {
      if (!producers) throw new Error(`${command.name} is readsOnly: it has ctx.reader(), no producer`);
      // A command's producer traces to OTEL_EXPORTER_OTLP_ENDPOINT when it is set (consumer and
      // serve start their own SDK in their composition roots).
      tracing ??=
        tracingSdk?.startTracing({
          endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
          serviceName: env.OTEL_SERVICE_NAME,
          process: 'cli',
        }) ?? null;
      producer ??= producers.createProducer({
        connection: redisConnection(env),
        prefix: env.RESUME_PREFIX,
        partitions: env.RESUME_PARTITIONS,
        stateDir: env.HARN_WORKER_STATE_DIR,
        idempotencyTtlMs: env.IDEMPOTENCY_TTL_MS,
        durability: env.RESUME_DURABILITY,
        overdueGraceMs: env.RECONCILE_INTERVAL_MS,
      });
      return producer;
    },
    reader: async () => {
      const { createWorkerReader } = await import('./worker-reader.js');
      reader ??= createWorkerReader({
        connection: redisConnection(env),
        prefix: env.RESUME_PREFIX,
        partitions: env.RESUME_PARTITIONS,
      });
      return reader;
    },
  };
  try {
    return await command.run(ctx);
  } finally {
    // A failed disconnect must not hide the command's own error or result.
    await producer?.disconnect().catch(() => undefined);
    await reader?.disconnect().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
  }
}

function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), LINGER_MS).unref();
}

await main(process.argv.slice(2));
