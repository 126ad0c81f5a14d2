// What the CLI prints and how it exits. With --json stdout carries exactly one document (a result or
// {"error":{code,message}}); without it results go to stdout and errors to stderr as plain text.

import {
  ResumeProcessorError,
  RpCode,
  type SerializedError,
  serializeError,
  ValidationError,
} from '../lib/errors.js';
import { UsageError } from './args.js';
import type { CommandResult } from './command.js';

/** Exit codes; 64 and 78 are the sysexits.h values scripts already know. */
export const EXIT = { ok: 0, error: 1, rejected: 2, blocked: 3, usage: 64, config: 78 } as const;

export interface ErrorDocument {
  error: SerializedError & { issues?: readonly { path: string; message: string }[] };
}

export function printResult(result: CommandResult, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(result.document)}\n` : ensureNewline(result.human));
}

export function printError(err: unknown, json: boolean, redisUrl?: string): number {
  const doc = errorDocument(err, redisUrl);
  if (json) process.stdout.write(`${JSON.stringify(doc)}\n`);
  else process.stderr.write(`resume-processor: ${doc.error.message}\n`);
  return exitCodeFor(err);
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ResumeProcessorError && err.code === RpCode.InvalidConfig) return EXIT.config;
  return EXIT.error;
}

export function errorDocument(err: unknown, redisUrl?: string): ErrorDocument {
  if (isConnectionError(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    const where = redisUrl ? ` at ${redactUrl(redisUrl)}` : '';
    return {
      error: {
        code: RpCode.RedisUnavailable,
        message: `${RpCode.RedisUnavailable}: cannot reach Redis${where} (${reason}); start Redis or set REDIS_URL`,
      },
    };
  }
  const base = serializeError(err);
  // One issue is already the message; several are worth listing (a config with many bad variables).
  if (err instanceof ValidationError && err.issues.length > 1)
    return { error: { ...base, issues: err.issues } };
  return { error: base };
}

// ioredis gives up on a command with MaxRetriesPerRequestError while the server is unreachable;
// socket errors carry errno codes. Both mean "no Redis", which deserves its own code and hint.
function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof ResumeProcessorError) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    err.message === 'Connection is closed.' ||
    (code !== undefined &&
      ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(code))
  );
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
