// A real consumer process for tests that kill, pause or crash consumers (env-configured, like the CLI).
// TEST_EXIT_ON_RESUME_OF=<worker id>[,<worker id>...]: a PreResume hook that ends the process (exit
// code 7) when it is asked about one of them: a poison job, as a hook that calls process.exit makes.
// TEST_STOP_IN_HOOK_OF=<worker id>: the PreResume hook freezes the whole process (SIGSTOP) when it
// is asked about that worker, once; it goes on when the test sends SIGCONT. With
// TEST_STOP_ONCE_FILE=<path>, only the first process of the fleet to create that file freezes (the
// consumer that takes the job over from the frozen one runs the hook as usual).
// TEST_THROW_IN_HOOK_OF / TEST_HANG_IN_HOOK_OF=<worker id>[,...]: the PreResume hook throws, or
// never settles, the first time this process is asked about one of them (a retry goes through).
// TEST_CLOCK_SKEW_MS=<ms>: this process's wall clock (Date.now, which BullMQ uses to promote delayed
// jobs) runs that far ahead (negative: behind) of the host's.
import { closeSync, openSync } from 'node:fs';
import { runConsumerProcess } from '../../src/consumers/main.js';

const skew = Number(process.env.TEST_CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + skew;
}

const poison = process.env.TEST_EXIT_ON_RESUME_OF?.split(',') ?? [];
const freezeFor = process.env.TEST_STOP_IN_HOOK_OF;
const freezeOnceFile = process.env.TEST_STOP_ONCE_FILE;
/** This process may freeze: always, or with a once-file only if it is the first to create it. */
function mayFreeze(): boolean {
  if (!freezeOnceFile) return true;
  try {
    closeSync(openSync(freezeOnceFile, 'wx'));
    return true;
  } catch {
    return false;
  }
}
const throwFor = process.env.TEST_THROW_IN_HOOK_OF?.split(',') ?? [];
const hangFor = process.env.TEST_HANG_IN_HOOK_OF?.split(',') ?? [];
const faulted = new Set<string>();
/** True the first time this process is asked about `id` for `kind`, when `id` is in `list`. */
function once(kind: string, id: string, list: readonly string[]): boolean {
  const key = `${kind}:${id}`;
  if (!list.includes(id) || faulted.has(key)) return false;
  faulted.add(key);
  return true;
}
let frozen = false;
await runConsumerProcess(
  poison.length > 0 || freezeFor || throwFor.length > 0 || hangFor.length > 0
    ? {
        hooks: {
          preResume: [
            (payload) => {
              const id = payload.worker.id;
              if (poison.includes(id)) process.exit(7);
              if (once('throw', id, throwFor)) throw new Error(`test hook refuses ${id} once`);
              if (once('hang', id, hangFor)) return new Promise<undefined>(() => {});
              if (payload.worker.id === freezeFor && !frozen) {
                frozen = true;
                if (mayFreeze()) process.kill(process.pid, 'SIGSTOP');
              }
              return undefined;
            },
          ],
        },
      }
    : {},
);
process.send?.('ready');
