// A private redis-server plus an in-process producer and consumer, for the reproductions.

import { randomUUID } from 'node:crypto';
import { type Consumer, createConsumer, createProducer, type Producer } from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../../src/lib/redis-server.js';

export interface World {
  server: RedisServerHandle;
  producer: Producer;
  consumer: Consumer;
  close(): Promise<void>;
}

export async function world(): Promise<World> {
  const server = await startRedisServer();
  const prefix = `repro-${randomUUID().slice(0, 6)}`;
  const producer = createProducer({ connection: server.url, prefix });
  const consumer = createConsumer({
    connection: server.url,
    prefix,
    concurrency: 4,
    stalledIntervalMs: 1000,
    reconcileIntervalMs: 200,
  });
  await consumer.start();
  return {
    server,
    producer,
    consumer,
    async close() {
      await consumer.stop();
      await producer.disconnect();
      await server.stop();
    },
  };
}

export function verdict(bug: boolean, message: string): never {
  console.log(`${bug ? 'BUG REPRODUCED' : 'ok'}: ${message}`);
  process.exit(bug ? 1 : 0);
}
