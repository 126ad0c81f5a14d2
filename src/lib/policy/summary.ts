// The worker summary: what producers, outcomes and the CLI show of a record.

import type { WorkerRecord, WorkerSummary } from './types.js';

export function summarize(record: WorkerRecord): WorkerSummary {
  const s = record.suspension;
  return {
    id: record.id,
    name: record.name,
    task: record.task,
    mode: record.mode,
    status: record.status,
    version: record.version,
    history: record.history,
    suspension: s
      ? {
          reason: s.reason,
          initiator: s.initiator,
          suspended_at: s.suspended_at,
          epoch: s.epoch,
          conditions: s.conditions,
          ...(s.deadline_ms === undefined ? {} : { deadline_ms: s.deadline_ms }),
          ...(s.on_timeout === undefined ? {} : { on_timeout: s.on_timeout }),
          ...(s.input_schema === undefined ? {} : { input_schema: s.input_schema }),
          ...(s.early_requests === undefined ? {} : { early_requests: s.early_requests }),
          ...(s.auto_resume_trigger
            ? {
                auto_resume_trigger: { id: s.auto_resume_trigger.id, version: s.auto_resume_trigger.version },
              }
            : {}),
        }
      : null,
    latest_error: record.latest_error,
    continuity: record.continuity,
    created_at: record.created_at,
    finished_at: record.finished_at,
  };
}
