// bull-board at /admin/queues over every queue of the deployment (each partition's resume, timeout
// and tasks queues), inside the dashboard's plugin: the same login, read keys see, write keys may
// also retry, promote or remove jobs (bull-board's writes are non-GET requests, which the plugin
// gives write access and an Origin check).

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { QueueSet } from '../../lib/queues/queues.js';
import { allPartitions } from '../../lib/store/keys.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

export async function mountQueueBoard(app: FastifyInstance, queues: QueueSet): Promise<void> {
  const partitions = allPartitions(queues.keys);
  const adapters = partitions.flatMap((p) => {
    const set = queues.partition(p);
    // Queue names repeat across partitions: bull-board keys them by name, so prefix the partition.
    const prefix = partitions.length > 1 ? `p${p}-` : '';
    return [set.resume, set.timeout, set.tasks].map((q) => new BullMQAdapter(q, { prefix }));
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'resume-processor', miscLinks: [{ text: 'Dashboard', url: '/dashboard' }] },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
}
