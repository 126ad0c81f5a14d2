// A MONITOR tail on a plain socket, for scenarios that must see every command a server runs.
//
// ioredis's own `monitor()` marks its connection as monitoring only in a promise callback after
// MONITOR's +OK; on a busy server the first monitored commands often arrive in the same read as the
// +OK, ioredis takes them for replies to nothing and fails the call ("Command queue state error").
// Here the reply stream is read line by line: +OK, then one status line per command.

import { connect, type Socket } from 'node:net';

export type OnCommand = (args: string[]) => void;

export interface CommandTail {
  stop(): void;
}

/** Starts MONITOR on `url`'s server; resolves once the server confirmed it (every later command is seen). */
export function tailCommands(url: string, onCommand: OnCommand): Promise<CommandTail> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect({ host: hostname, port: Number(port || 6379) });
  let pending = '';
  let confirmed = false;
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('close', () => {
      if (!confirmed)
        reject(new Error(`MONITOR on ${url}: the connection closed before the server confirmed it`));
    });
    socket.once('connect', () => socket.write('MONITOR\r\n'));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let end = pending.indexOf('\r\n');
      while (end >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        end = pending.indexOf('\r\n');
        if (!confirmed) {
          if (line !== '+OK') return fail(new Error(`MONITOR on ${url} was refused: ${line}`));
          confirmed = true;
          socket.off('error', fail);
          socket.on('error', () => {});
          resolve({ stop: () => socket.destroy() });
          continue;
        }
        const args = parseMonitorLine(line);
        if (args) onCommand(args);
      }
    });
  });
}

/**
 * `+<time> [<db> <client>] "cmd" "arg" ...` → [cmd, arg, ...], undoing the server's quoting
 * (backslash escapes and \xHH for other bytes); null for a line of another shape.
 */
export function parseMonitorLine(line: string): string[] | null {
  if (!line.startsWith('+')) return null;
  let i = line.indexOf('] "');
  if (i < 0) return null;
  i += 2;
  const args: string[] = [];
  while (i < line.length && line[i] === '"') {
    let arg = '';
    i += 1;
    while (i < line.length && line[i] !== '"') {
      const c = line[i] as string;
      if (c !== '\\') {
        arg += c;
        i += 1;
        continue;
      }
      const e = line[i + 1];
      if (e === 'x') {
        arg += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      arg += ESCAPES[e as string] ?? e ?? '';
      i += 2;
    }
    args.push(Buffer.from(arg, 'latin1').toString('utf8'));
    i += 2; // the closing quote and the space after it
  }
  return args;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };
