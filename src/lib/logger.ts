// One root pino logger per process; components take children. Inputs and transcripts never reach logs.

import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['*.input', '*.resume_input', '*.transcript', '*.task', 'input', 'transcript'],
      censor: '[redacted]',
    },
  };
  // Logs go to stderr so a CLI's --json stdout stays one parseable document.
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
