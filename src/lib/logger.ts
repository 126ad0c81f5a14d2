// One root pino logger per process; each component takes one child of it (`component`: one per line),
// each job a child of its component's (src/lib/job-log.ts). Inputs, transcripts and credentials
// (resume tokens and links, API keys, authorization headers, cookies, secrets) never reach logs.

import { type Logger, pino } from 'pino';

export type { Logger };

/** Fields that hold a credential, at the top level or up to two objects down. */
const CREDENTIALS = [
  'token',
  'resume_token',
  'resumeToken',
  'resume_url',
  'resumeUrl',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'secret',
  'password',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: {
      paths: [
        ...['input', 'resume_input', 'transcript', 'task'].flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
        ...CREDENTIALS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
        // A request's headers, logged as `headers` or under `req` (authorization and cookie above).
        'headers["x-hub-signature-256"]',
        '*.headers["x-hub-signature-256"]',
      ],
      censor: '[redacted]',
    },
  };
  // Logs go to stderr so a CLI's --json stdout stays one parseable document.
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
