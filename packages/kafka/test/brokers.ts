/**
 * The Kafka the tests talk to: the cluster named by `KAFKA_BROKERS`
 * (comma-separated host:port) when set, so the same tests run unchanged
 * against a real cluster; else the repository's Kafka wire-protocol test
 * broker (`@blindwire/testkit/kafka-broker`) in a process of its own, from
 * its built `main.js` (`pnpm build`), which prints `KAFKA_BROKERS=host:port`
 * once it listens. Either way the tests read topics through KafkaJS, as a
 * client of a real cluster would.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The test broker's entry point in the built test kit. */
export const BROKER_MAIN = fileURLToPath(
  new URL('../../testkit/dist/kafka-broker/main.js', import.meta.url),
);

export interface TestKafka {
  readonly brokers: string[];
  /** True when the brokers are the test broker this process started. */
  readonly testBroker: boolean;
  /** Stops the test broker (a no-op for `KAFKA_BROKERS`). */
  close(): Promise<void>;
}

export async function startKafka(env: NodeJS.ProcessEnv = process.env): Promise<TestKafka> {
  const listed = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (listed.length > 0) return { brokers: listed, testBroker: false, close: async () => {} };
  const child = spawn(process.execPath, [BROKER_MAIN, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no address from ${BROKER_MAIN}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /KAFKA_BROKERS=(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the test broker exited (${code}): ${out}`)));
  });
  return {
    brokers: address.split(','),
    testBroker: true,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
