// A real consumer process for tests that kill, pause or crash consumers (env-configured, like the CLI).
// TEST_EXIT_ON_RESUME_OF=<worker id>[,<worker id>...]: a PreResume hook that ends the process (exit
// code 7) when it is asked about one of them: a poison job, as a hook that calls process.exit makes.
// TEST_STOP_IN_HOOK_OF=<worker id>: the PreResume hook freezes the whole process (SIGSTOP) when it
// is asked about that worker, once; it goes on when the test sends SIGCONT.
// TEST_THROW_IN_HOOK_OF / TEST_HANG_IN_HOOK_OF=<worker id>[,...]: the PreResume hook throws, or
// never settles, the first time this process is asked about one of them (a retry goes through).
// TEST_CLOCK_SKEW_MS=<ms>: this process's wall clock (Date.now, which BullMQ uses to promote delayed
// jobs) runs that far ahead (negative: behind) of the host's.
import { runConsumerProcess } from '../../src/consumers/main.js';

const skew = Number(process.env.TEST_CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + skew;
}

const poison = process.env.TEST_EXIT_ON_RESUME_OF?.split(',') ?? [];
const freezeFor = process.env.TEST_STOP_IN_HOOK_OF;
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
                process.kill(process.pid, 'SIGSTOP');
              }
              return undefined;
            },
          ],
        },
      }
    : {},
);
process.send?.('ready');
