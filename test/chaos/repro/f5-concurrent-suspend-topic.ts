// F5: two concurrent suspends of one worker waiting for different event topics. Both write their
// trigger binding (`trigger:<topic>` -> id -> epoch) before their CAS; the loser's binding stays.
// An event of the loser's topic then resumes the winner, which never asked for it.

import { verdict, world } from './world.js';

const w = await world();
const { id } = await w.producer.registerWorker({ name: 'f5', task: 't' });
const [a] = await Promise.all([
  w.producer.suspend(id, { reason: 'wants A', conditions: { on_event: 'topic.a' } }),
  w.producer.suspend(id, { reason: 'wants B', conditions: { on_event: 'topic.b' } }),
]);
const other = a.suspension?.reason === 'wants A' ? 'topic.b' : 'topic.a';
const tickets = await w.producer.deliverEvent({
  provider: 'x',
  kind: other,
  id: 'ev1',
  payload: 'wrong topic',
});
const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 10_000 })));
const r = await w.producer.getWorker(id);
await w.close();
verdict(
  r?.status === 'running',
  `"${a.suspension?.reason}" won; an event of ${other} gave ${outcomes.map((o) => o.outcome).join(',') || 'no job'}; worker is ${r?.status}`,
);
