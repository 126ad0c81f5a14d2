// Public surface of the resume-processor library.

export type { Consumer, ConsumerOptions } from './consumers/consumer.js';
export { createConsumer } from './consumers/consumer.js';
export type { RespawnConsumer, RespawnConsumerOptions, RespawnHandler } from './consumers/respawns.js';
export { createRespawnConsumer } from './consumers/respawns.js';
export type { ConsumerHooks } from './consumers/resume-engine.js';
export type { ErrorCode } from './lib/errors.js';
export {
  HarnCode,
  LockUnavailableError,
  ResumeProcessorError,
  RpCode,
  SuspendError,
  ValidationError,
} from './lib/errors.js';
export type { DigestFn } from './lib/policy/transcript.js';
export { defaultDigest } from './lib/policy/transcript.js';
export type {
  JsonObject,
  JsonValue,
  PreResumePayload,
  RespawnPayload,
  ResumeOutcome,
  StoredOutcome,
  TimeoutOutcome,
  WorkerRecord,
  WorkerStatus,
  WorkerSummary,
} from './lib/policy/types.js';
export { QUEUE_NAMES } from './lib/queues/catalog.js';
export type { HarnSnapshotImport } from './lib/snapshot/harn-snapshot.js';
export { convertHarnSnapshot, exportHarnSnapshot, parseHarnSnapshot } from './lib/snapshot/harn-snapshot.js';
export { isSnapshotPath, readSnapshotFile, writeSnapshotFile } from './lib/snapshot/snapshot-files.js';
export type { QuarantinedJob } from './lib/store/partition-indexes.js';
export type { ProducerOptions } from './producers/producer.js';
export { createProducer } from './producers/producer.js';
export type { ImportOptions, ImportResult } from './producers/snapshots.js';
export type { PostSuspendPayload, PreSuspendPayload, SuspendHooks } from './producers/suspend-hooks.js';
export type {
  DeliverEventInput,
  Producer,
  RegisterWorkerInput,
  ResumeTicket,
  SuspendInput,
} from './producers/types.js';
