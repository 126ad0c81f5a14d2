// A real consumer process for tests that kill, pause or crash consumers (env-configured, like the CLI).
import { runConsumerProcess } from '../../src/consumers/main.js';

await runConsumerProcess();
process.send?.('ready');
