// The consumer's lifecycle hooks, each chain cut at the hook timeout: PreResume may allow (with
// the input as the hooks left it) or block a resume; PostResume failures are collected, never
// undo the resume. Durations go to the metrics.

import type { Logger } from 'pino';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import { jobLogger } from '../lib/job-log.js';
import { applyPreResumeModification, type LifecycleHook, runHookChain } from '../lib/policy/hooks.js';
import type { PreResumePayload, ResumeOptions, WorkerRecord } from '../lib/policy/types.js';
import type { MetricsSink } from '../observability/metrics.js';
import { timeHooks } from '../observability/metrics-jobs.js';

export interface ConsumerHooks {
  preResume?: LifecycleHook<PreResumePayload>[];
  postResume?: LifecycleHook<{ event: 'PostResume'; worker: { id: string } }>[];
}

export class HookRunner {
  constructor(
    private readonly hooks: ConsumerHooks,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: MetricsSink,
  ) {}

  async preResume(
    record: WorkerRecord,
    options: ResumeOptions,
  ): Promise<{ kind: 'allow'; options: ResumeOptions } | { kind: 'block'; reason: string }> {
    const hooks = this.hooks.preResume ?? [];
    if (hooks.length === 0) return { kind: 'allow', options };
    const payload: PreResumePayload = {
      event: 'PreResume',
      worker: { id: record.id },
      resume_input: options.inputPresent ? options.input : null,
      continue_transcript: options.continueTranscript,
    };
    const result = await timeHooks(
      this.metrics,
      'PreResume',
      withTimeout(runHookChain(hooks, payload, 'PreResume'), this.timeoutMs, 'PreResume'),
    );
    if (result.kind === 'block') return result;
    return {
      kind: 'allow',
      options: result.modified ? applyPreResumeModification({ input: options }, result.payload) : options,
    };
  }

  async postResume(record: WorkerRecord): Promise<string[]> {
    const started = performance.now();
    const errors: string[] = [];
    for (const hook of this.hooks.postResume ?? []) {
      try {
        await withTimeout(
          Promise.resolve(hook({ event: 'PostResume', worker: { id: record.id } })),
          this.timeoutMs,
          'PostResume',
        );
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
        jobLogger(this.logger, { workerId: record.id }).warn(
          { err },
          'PostResume hook failed; the resume stands',
        );
      }
    }
    this.metrics.hookDuration('PostResume', (performance.now() - started) / 1000);
    return errors;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResumeProcessorError(RpCode.HookFailed, `${what} hooks did not finish within ${ms} ms`, {
            retryable: true,
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
