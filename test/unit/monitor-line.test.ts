import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseMonitorLine, tailCommands } from '../chaos/monitor.js';

describe('parseMonitorLine (the chaos battery reads MONITOR on a plain socket)', () => {
  it('splits a command into its arguments', () => {
    expect(
      parseMonitorLine('+1796429271.748623 [0 127.0.0.1:41844] "bzpopmin" "{p:0}:tasks:marker" "5"'),
    ).toEqual(['bzpopmin', '{p:0}:tasks:marker', '5']);
  });

  it('reads commands a script ran, and empty arguments', () => {
    expect(parseMonitorLine('+1.000001 [0 lua] "SET" "k" ""')).toEqual(['SET', 'k', '']);
  });

  it("undoes the server's quoting: quotes, backslashes, control characters and \\xHH bytes (UTF-8)", () => {
    // The server writes "a \"b\" c" as "a \"b\" c", a backslash as \\, \x1e as \x1e and é as \xc3\xa9.
    const line = '+1.0 [0 127.0.0.1:1] "EVALSHA" "a \\"b\\" c" "x\\\\y" "1\\x1e2\\n" "caf\\xc3\\xa9"';
    expect(parseMonitorLine(line)).toEqual(['EVALSHA', 'a "b" c', 'x\\y', '1\x1e2\n', 'café']);
  });

  it('ignores lines of another shape', () => {
    expect(parseMonitorLine('+OK')).toBeNull();
    expect(parseMonitorLine('-ERR something')).toBeNull();
  });

  it.each([
    [
      'answers MONITOR with an error',
      (socket: Socket) => socket.end('-ERR not here\r\n'),
      /refused: -ERR not here/,
    ],
    ['closes before confirming', (socket: Socket) => socket.destroy(), /closed before the server confirmed/],
  ])('tailCommands rejects when the server %s', async (_what, answer, message) => {
    const server = createServer((socket) => socket.once('data', () => answer(socket)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await expect(tailCommands(`redis://127.0.0.1:${port}`, () => {})).rejects.toThrow(message);
    await new Promise((resolve) => server.close(resolve));
  });
});
