// F6: close() does not validate its options: `close(id, null)` throws a TypeError synchronously
// (the method returns a promise, so a `.catch()` caller never sees it), and any truthy `graceful`
// (e.g. "no") stops instead of cancelling.

import { ResumeProcessorError } from '../../../src/index.js';
import { verdict, world } from './world.js';

const w = await world();
const { id } = await w.producer.registerWorker({ name: 'f6', task: 't' });
let result: string;
try {
  const pending = w.producer.close(id, null as never);
  result = await pending.then(
    () => 'accepted',
    (e: unknown) =>
      e instanceof ResumeProcessorError ? `rejected ${e.code}` : `rejected untyped ${String(e)}`,
  );
} catch (err) {
  result = `threw synchronously: ${String(err)}`;
}
await w.close();
verdict(!result.startsWith('rejected RP-') && result !== 'accepted', `close(id, null) ${result}`);
