// F1: two concurrent suspends of one worker with different timeouts. Both write the deadline index
// entry `<id>|<epoch>` before their CAS; the loser's score (its own, shorter deadline) stays, and the
// reconciler, trusting the score, promotes the winner's 10-minute timeout a few seconds in.

import { verdict, world } from './world.js';

const w = await world();
const { id } = await w.producer.registerWorker({ name: 'f1', task: 't' });
const [a] = await Promise.all([
  w.producer.suspend(id, {
    reason: 'long',
    conditions: { timeout: { duration_ms: 600_000, on_timeout: 'fail' } },
  }),
  w.producer.suspend(id, {
    reason: 'short',
    conditions: { timeout: { duration_ms: 300, on_timeout: 'fail' } },
  }),
]);
console.log(
  `winner: "${a.suspension?.reason}", deadline in ${Math.round(((a.suspension?.deadline_ms ?? 0) - Date.now()) / 1000)} s`,
);
await new Promise((r) => setTimeout(r, 4000));
const r = await w.producer.getWorker(id);
await w.close();
verdict(
  a.suspension?.reason === 'long' && r?.status === 'failed',
  `after 4 s the worker is ${r?.status}${r?.latest_error ? ` (${r.latest_error})` : ''}`,
);
