/**
 * The test broker in a process of its own, so that a crash test can SIGKILL
 * a consumer and keep the broker (and its committed offsets):
 *
 *   node packages/testkit/dist/kafka-broker/main.js [--port N] [--host H]
 *
 * Prints one line `KAFKA_BROKERS=host:port` once it listens (with --port 0,
 * the default, the port it picked), then serves until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startKafkaTestBroker } from './broker.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`"--port" expected an integer 0..65535, got ${values.port}\n`);
  process.exit(2);
}
const broker = await startKafkaTestBroker({ port, host: values.host });
process.stdout.write(`KAFKA_BROKERS=${broker.brokers.join(',')}\n`);
const stop = () => {
  void broker.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
