// The overall usage text, from the command table alone (no command module is loaded); each
// command carries its own --help text.

import { COMMANDS } from './commands/index.js';

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `resume-processor: durable suspend/resume of agent workers on Redis queues

Usage: resume-processor <command> [arguments] [--json]
       resume-processor <command> --help

Commands:
${commands}

Every command accepts --json: stdout then carries exactly one JSON document (errors as
{"error":{"code","message"}}); logs always go to stderr.

Environment:
  REDIS_URL              redis:// or rediss:// URL (default redis://127.0.0.1:6379; the demo
                         starts a private redis-server when it is unset)
  REDIS_CLUSTER_NODES    host:port,host:port,... seed nodes of a Redis Cluster; when set, every
                         role uses the cluster and REDIS_URL is ignored
  RESUME_PREFIX          key and BullMQ prefix, 1-32 of A-Z a-z 0-9 _ . - (default rp)
  RESUME_PARTITIONS      partitions of the keys and queues, fixed per deployment (default 1)
  LOG_LEVEL              fatal | error | warn | info (default) | debug | trace | silent
  REDLOCK_URLS           comma-separated Redis URLs of a Redlock quorum (default: the lock lives
                         with the worker)
  RESUME_DURABILITY      async (default) | replicated: writes wait (WAIT 1, up to 1 s) for a
                         replica; a producer call none confirmed fails with RP-NOT-REPLICATED
  CONSUMER_CONCURRENCY   resume jobs per consumer process and partition (default 16)
  TIMEOUT_CONCURRENCY    timeout jobs per consumer process and partition (default 16)
  LOCK_TTL_MS            worker lock TTL, auto-extended while work runs (default 2500)
  HOOK_TIMEOUT_MS        time allowed to resume hooks (default 10000)
  STALLED_INTERVAL_MS    stall check: a dead consumer's jobs move on within ~2x (default 2500)
  RECONCILE_INTERVAL_MS  reconciler pass interval (default 2000)
  API_KEYS, RESUME_TOKEN_SECRET, WEBHOOK_SECRET_<P>, HTTP_*, PUBLIC_URL
                         the HTTP API's settings (resume-processor serve --help)

Exit codes: 0 ok, 1 error, 2 resume rejected, 3 resume blocked, 64 bad command line,
78 bad configuration.`;
}
