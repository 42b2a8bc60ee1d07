/**
 * The broker in its own process (dist/kafka-broker/main.js: what a crash test
 * starts so that it can kill consumers and keep the broker), and the choice
 * between KAFKA_BROKERS and an in-process test broker.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../../src/build-guard.js';
import { kafkaBrokersForTests } from '../../src/kafka-broker/index.js';
import { collector, consumer, kafka, producer } from './clients.js';

const main = fileURLToPath(new URL('../../dist/kafka-broker/main.js', import.meta.url));
const built = requireBuild([main], '@blindwire/testkit');

function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [main, ...args], { stdio: 'pipe' });
}
function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing a line`)));
  });
}
const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe.skipIf(built.skip)('main.js', () => {
  beforeAll(() => built.assertBuilt());

  it('prints KAFKA_BROKERS, serves kafkajs, and exits 0 on SIGTERM', async () => {
    const child = start(['--port', '0']);
    try {
      const line = await firstLine(child);
      expect(line).toMatch(/^KAFKA_BROKERS=127\.0\.0\.1:\d+$/);
      const brokers = [line.slice('KAFKA_BROKERS='.length)];
      const p = await producer(kafka(brokers));
      await p.send({ topic: 'proc', messages: [{ key: 'k', value: 'over the process boundary' }] });
      await p.disconnect();
      const c = await consumer(kafka(brokers), 'proc-g');
      const got = collector<string>();
      await c.subscribe({ topic: 'proc', fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => got.push(String(message.value)) });
      expect(await got.atLeast(1)).toEqual(['over the process boundary']);
      await c.disconnect();
      const code = exited(child);
      child.kill('SIGTERM');
      expect(await code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a port that is not one, with exit code 2', async () => {
    const child = start(['--port', 'http']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(2);
    expect(err).toContain('"--port" expected an integer 0..65535, got http');
  });
});

describe('kafkaBrokersForTests', () => {
  it('uses KAFKA_BROKERS when set, without starting a broker', async () => {
    const k = await kafkaBrokersForTests({}, { KAFKA_BROKERS: 'a:9092, b:9093' });
    expect(k.brokers).toEqual(['a:9092', 'b:9093']);
    expect(k.broker).toBeNull();
    await k.close();
  });

  it('starts a test broker otherwise', async () => {
    const k = await kafkaBrokersForTests({}, {});
    expect(k.broker).not.toBeNull();
    expect(k.brokers).toEqual(k.broker!.brokers);
    const p = await producer(kafka(k.brokers));
    await p.send({ topic: 'env', messages: [{ value: 'x' }] });
    await p.disconnect();
    expect(k.broker!.readRaw('env').records).toHaveLength(1);
    await k.close();
  });
});
