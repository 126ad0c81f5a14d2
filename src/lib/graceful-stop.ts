// How a process of ours ends on SIGTERM/SIGINT: `stop` finishes what is in flight (jobs, requests)
// and closes connections, then exit 0; an error while stopping exits 1, and so does a stop that
// takes longer than the grace period (docker compose's stop_grace_period is a little longer).

import type { Logger } from 'pino';

export function stopOnSignals(
  logger: Logger,
  what: string,
  stop: () => Promise<void>,
  graceMs = 30_000,
): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `stopping: finishing ${what}`);
    const force = setTimeout(() => {
      logger.error(`graceful stop took longer than ${graceMs / 1000} s; exiting`);
      process.exit(1);
    }, graceMs);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
