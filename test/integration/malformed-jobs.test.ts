// Malformed payloads placed straight on the queues fail clearly, once, and touch nothing.

import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

describe('malformed jobs', () => {
  let h: Harness;
  let resume: Queue;
  let timeout: Queue;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer();
    resume = new Queue('resume', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    timeout = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
  });
  afterEach(async () => {
    await resume.close();
    await timeout.close();
    await h.close();
  });

  const failedJob = (queue: Queue, id: string) =>
    waitFor(`job ${id} to fail`, async () => {
      // State first, then the job: a job read before it failed would lack failedReason.
      if ((await queue.getJobState(id)) !== 'failed') return null;
      return queue.getJob(id);
    });

  const cases: [string, unknown][] = [
    ['no options', { workerId: 'x' }],
    ['wrong types', { workerId: 42, options: 'go', requestedAtMs: 'now' }],
    ['bad worker id', { workerId: '../etc/passwd', options: {}, requestedAtMs: 1 }],
    [
      'prototype pollution key',
      JSON.parse(
        '{"workerId":"w","__proto__":{"polluted":true},"options":{"inputPresent":true,"input":{"__proto__":{"x":1}},"continueTranscript":true,"initiator":null,"triggerEvent":null},"requestedAtMs":1}',
      ),
    ],
  ];

  it.each(cases)(
    'resume job with %s fails non-retryably and leaves the worker unchanged',
    async (_name, data) => {
      const w = await h.producer.registerWorker({ id: 'w', name: 'w', task: 't' });
      const s = await h.producer.suspend(w.id, { reason: 'park' });
      const jobId = `bad-${Math.random().toString(36).slice(2)}`;
      await resume.add('resume', data, { jobId, attempts: 5 });
      const job = await failedJob(resume, jobId);
      expect(job.failedReason).toMatch(/^RP-INVALID-JOB: resume job .* has an invalid payload: /);
      expect(job.attemptsMade).toBe(1);
      const after = await h.producer.getWorker(w.id);
      expect(after?.version).toBe(s.version);
      expect(after?.status).toBe('suspended');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await h.respawnJobIds()).toEqual([]);
    },
  );

  it('timeout job with a bad epoch fails non-retryably', async () => {
    await timeout.add('timeout', { workerId: 'w', epoch: -3, dueAtMs: 0 }, { jobId: 'bad-timeout' });
    const job = await failedJob(timeout, 'bad-timeout');
    expect(job.failedReason).toContain('epoch');
  });
});
