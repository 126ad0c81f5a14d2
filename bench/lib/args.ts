// Command-line flags of `npm run bench` (documented in docs/benchmarks.md). `--quick` shrinks every
// size for a smoke test; explicit flags override the preset.

import { parseArgs } from 'node:util';

export interface BenchConfig {
  quick: boolean;
  /** Only the cluster comparison (one server vs a 3-master cluster, several partition counts). */
  cluster: boolean;
  clusterPartitions: number[];
  /** Only the list-page latency at growing populations of suspended workers. */
  list: boolean;
  listSizes: number[];
  concurrency: number;
  /** Measured jobs per system per throughput round, and the number of interleaved rounds. */
  perRound: number;
  rounds: number;
  warmup: number;
  warmupRounds: number;
  latencySeconds: number;
  timeouts: number;
  timeoutWindowSeconds: number;
  scalePoints: number[];
  scalePerRep: number;
  scaleReps: number;
  profile: boolean;
  profileCount: number;
  aof: boolean;
  /** redis-server `hz` (timer frequency); null keeps the server's default (10). */
  hz: number | null;
  writeDocs: boolean;
  out: string;
  redisUrl: string | undefined;
}

export const USAGE = `usage: npm run bench -- [flags]
  --quick                 small sizes, finishes in about a minute (smoke test)
  --cluster               only the cluster comparison: P partitions on one redis-server and on a
                          private 3-master Redis Cluster (writes bench/results/cluster.json and
                          the generated part of docs/scaling.md)
  --list                  only the list-page latency: listWorkers pages at 100,000 and 1,000,000
                          suspended workers (writes bench/results/list.json)
  --list-sizes <a,b>      populations of the list bench (default 100000,1000000)
  --partitions <a,b,c>    partition counts of the cluster comparison (default 1,3,12,48)
  --concurrency <C>       BullMQ concurrency of every measured process (default 16)
  --per-round <N>         measured jobs per system per throughput round (default 4000; quick 600)
  --rounds <R>            interleaved throughput rounds (default 5; quick 2)
  --warmup <W>            unmeasured warm-up jobs per system (default 1000; quick 200)
  --warmup-rounds <K>     unmeasured interleaved throughput rounds before the measured ones
                          (default 2; quick 0): every system gets past its JIT and cache warm-up
  --latency-seconds <s>   duration of the half-load latency run (default 10; quick 3)
  --timeouts <T>          armed timeouts in the lateness runs (default 10000; quick 1000)
  --timeout-window <s>    window their deadlines are spread over (default 10; quick 2)
  --scale <a,b,c>         suspended-worker counts (default 1000,10000,100000; quick 500,2000)
  --scale-per-rep <M>     resumes per scale repetition, same at every N (default 1000; quick 200)
  --scale-reps <K>        repetitions per scale point (default 5; quick 2)
  --no-profile            skip the CPU-profile pass
  --aof                   run redis-server with appendonly yes, appendfsync everysec
  --hz <n>                set redis-server hz (default: the server's, 10); 100 sharpens delayed-job timing
  --no-docs               do not rewrite docs/benchmarks.md
  --out <file>            results file (default bench/results/latest.json)
  --redis-url <url>       use this (empty) Redis instead of a private redis-server; flushed before scaling
`;

export function parseBenchArgs(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      'list-sizes': { type: 'string' },
      partitions: { type: 'string' },
      concurrency: { type: 'string' },
      'per-round': { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-rounds': { type: 'string' },
      'latency-seconds': { type: 'string' },
      timeouts: { type: 'string' },
      'timeout-window': { type: 'string' },
      scale: { type: 'string' },
      'scale-per-rep': { type: 'string' },
      'scale-reps': { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
      aof: { type: 'boolean', default: false },
      hz: { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
      out: { type: 'string' },
      'redis-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const q = values.quick;
  const int = (name: string, raw: string | undefined, def: number, min = 1): number => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const scalePoints = values.scale
    ? values.scale.split(',').map((s) => int('scale', s.trim(), 0))
    : q
      ? [500, 2000]
      : [1000, 10_000, 100_000];
  const clusterPartitions = values.partitions
    ? values.partitions.split(',').map((v) => int('partitions', v.trim(), 1))
    : [1, 3, 12, 48];
  return {
    quick: q,
    cluster: values.cluster === true,
    list: values.list === true,
    listSizes: values['list-sizes']
      ? values['list-sizes'].split(',').map((v) => int('list-sizes', v.trim(), 1))
      : q
        ? [2000, 20_000]
        : [100_000, 1_000_000],
    clusterPartitions,
    concurrency: int('concurrency', values.concurrency, 16),
    perRound: int('per-round', values['per-round'], q ? 600 : 4000),
    rounds: int('rounds', values.rounds, q ? 2 : 5),
    warmup: int('warmup', values.warmup, q ? 200 : 1000),
    warmupRounds: int('warmup-rounds', values['warmup-rounds'], q ? 0 : 2),
    latencySeconds: int('latency-seconds', values['latency-seconds'], q ? 3 : 10),
    timeouts: int('timeouts', values.timeouts, q ? 1000 : 10_000),
    timeoutWindowSeconds: int('timeout-window', values['timeout-window'], q ? 2 : 10),
    scalePoints: [...scalePoints].sort((a, b) => a - b),
    scalePerRep: int('scale-per-rep', values['scale-per-rep'], q ? 200 : 1000),
    scaleReps: int('scale-reps', values['scale-reps'], q ? 2 : 5),
    profile: !values['no-profile'],
    profileCount: q ? 500 : 4000,
    aof: values.aof,
    hz: values.hz === undefined ? null : int('hz', values.hz, 1),
    writeDocs: !values['no-docs'],
    out: values.out ?? 'bench/results/latest.json',
    redisUrl: values['redis-url'],
  };
}
