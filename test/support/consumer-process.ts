// A real consumer process for tests that kill, pause or crash consumers (env-configured, like the CLI).
// TEST_EXIT_ON_RESUME_OF=<worker id>[,<worker id>...]: a PreResume hook that ends the process (exit
// code 7) when it is asked about one of them: a poison job, as a hook that calls process.exit makes.
// TEST_STOP_IN_HOOK_OF=<worker id>: the PreResume hook freezes the whole process (SIGSTOP) when it
// is asked about that worker, once; it goes on when the test sends SIGCONT.
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
let frozen = false;
await runConsumerProcess(
  poison.length > 0 || freezeFor
    ? {
        hooks: {
          preResume: [
            (payload) => {
              if (poison.includes(payload.worker.id)) process.exit(7);
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
