// Follows a BullMQ queue's event stream and records, per job id, the server time (the ms part of the
// stream entry id, i.e. Redis's clock when the job's add script ran) of one event kind. Polled often
// enough that BullMQ's approximate trimming (~10k entries) never outruns us.

import type { Redis } from 'ioredis';

export class EventTail {
  readonly seen = new Map<string, number>();
  private lastId = '0-0';
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly event: string,
    private readonly intervalMs = 50,
  ) {}

  async start(): Promise<void> {
    const tail = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    this.lastId = tail[0]?.[0] ?? '0-0';
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.poll();
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.poll();
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  private async poll(): Promise<void> {
    for (;;) {
      const entries = await this.redis.xrange(this.key, `(${this.lastId}`, '+', 'COUNT', 5000);
      for (const [id, fields] of entries) {
        this.lastId = id;
        let event: string | undefined;
        let jobId: string | undefined;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] === 'event') event = fields[i + 1];
          else if (fields[i] === 'jobId') jobId = fields[i + 1];
        }
        if (event === this.event && jobId !== undefined && !this.seen.has(jobId)) {
          this.seen.set(jobId, Number(id.slice(0, id.indexOf('-'))));
        }
      }
      if (entries.length < 5000) return;
    }
  }
}
