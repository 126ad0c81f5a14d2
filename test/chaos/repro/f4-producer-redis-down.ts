// F4: with Redis unreachable the producer rejects with ioredis' MaxRetriesPerRequestError: no `code`,
// not a ResumeProcessorError, and the message does not say that Redis is down or where.

import { createProducer, ResumeProcessorError } from '../../../src/index.js';
import { freePort } from '../../../src/lib/redis-server.js';
import { verdict } from './world.js';

const producer = createProducer({ connection: `redis://127.0.0.1:${await freePort()}`, prefix: 'f4' });
const started = Date.now();
const err = await producer.getWorker('w1').then(
  () => null,
  (e: unknown) => e,
);
await producer.disconnect().catch(() => {});
const typed = err instanceof ResumeProcessorError;
console.log(
  `rejected after ${Date.now() - started} ms with ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`,
);
verdict(!typed, typed ? `typed error ${(err as ResumeProcessorError).code}` : 'untyped transport error');
