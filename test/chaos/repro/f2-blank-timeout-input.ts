// F2: suspend accepts `on_timeout: resume_with_input` with a blank `timeout.input`. When the timeout
// fires, the resume is refused (HARN-SUS-009, blank input) and the worker stays suspended with
// nothing armed: no timeout job, no deadline entry. Nothing will ever end that suspension.

import { verdict, world } from './world.js';

const w = await world();
const { id } = await w.producer.registerWorker({ name: 'f2', task: 't' });
let accepted = true;
try {
  await w.producer.suspend(id, {
    conditions: { timeout: { duration_ms: 100, on_timeout: 'resume_with_input', input: '   ' } },
  });
} catch (err) {
  accepted = false;
  console.log(`suspend refused: ${(err as Error).message}`);
}
await new Promise((r) => setTimeout(r, 3000));
const r = await w.producer.getWorker(id);
await w.close();
verdict(
  accepted && r?.status === 'suspended',
  `suspend accepted=${accepted}; 3 s after the deadline the worker is ${r?.status}`,
);
