// Where the consumer's time goes: one more resume-processor consumer (same wiring) resumes
// `count` suspended workers after a warm-up, with the V8 sampling profiler running for exactly the
// measured round. The profile is summarised by self time. Its throughput is not a headline number
// (profiling costs a few per cent).

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { QueueSet } from '../../src/lib/queues/queues.js';
import { keySpace } from '../../src/lib/store/keys.js';
import type { Producer } from '../../src/producers/types.js';
import { BenchChild } from '../lib/child.js';
import { type ProfileSummary, summariseProfile } from '../lib/cpu-profile.js';
import { createSuspendedWorkers } from '../lib/population.js';
import { measureRound } from '../lib/rounds.js';
import { resumeJob, workerId } from '../lib/workload.js';

export interface ProfileConfig {
  url: string;
  prefix: string;
  concurrency: number;
  count: number;
  warmup: number;
  dir: string;
  rpEnv: Record<string, string>;
  log: (msg: string) => void;
}

export interface ProfileResult extends ProfileSummary {
  resumes: number;
  resumesPerSec: number;
  file: string;
}

export async function runProfile(
  observer: Redis,
  producer: Producer,
  cfg: ProfileConfig,
): Promise<ProfileResult> {
  mkdirSync(cfg.dir, { recursive: true });
  const queueSet = new QueueSet(observer, keySpace(cfg.prefix));
  const queues = queueSet.partition(0);
  await queues.resume.pause();
  const ids = Array.from({ length: cfg.warmup + cfg.count }, (_, i) => workerId('pf', i));
  await createSuspendedWorkers(producer, ids);
  const child = await BenchChild.spawn('rp-consumer', {
    env: {
      ...cfg.rpEnv,
      REDIS_URL: cfg.url,
      RESUME_PREFIX: cfg.prefix,
      CONSUMER_CONCURRENCY: String(cfg.concurrency),
    },
  });
  let next = 0;
  const system = {
    name: 'resumeProcessor (profiled)',
    child,
    queue: queues.resume,
    prefix: cfg.prefix,
    enqueue: async (n: number) => {
      const batch = ids.slice(next, next + n);
      next += n;
      for (let i = 0; i < batch.length; i += 1000) {
        await queues.resume.addBulk(
          batch
            .slice(i, i + 1000)
            .map((id) => ({ name: 'resume', data: resumeJob(id), opts: { jobId: `r-${randomUUID()}` } })),
        );
      }
    },
  };
  await measureRound(observer, system, cfg.warmup);
  const file = join(cfg.dir, 'rp-consumer.cpuprofile');
  await child.startProfile();
  const r = await measureRound(observer, system, cfg.count);
  await child.stopProfile(file);
  cfg.log(`profile: ${r.jobs} resumes with the sampling profiler on (${Math.round(r.perSec)}/s)`);
  await child.stop();
  await queues.resume.resume();
  await queueSet.close();
  return { ...summariseProfile(file), resumes: r.jobs, resumesPerSec: r.perSec, file };
}
