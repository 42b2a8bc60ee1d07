/**
 * Consumer groups through real kafkajs consumers: offsets committed by one
 * member are where the next one starts; a second member triggers a
 * rebalance (one partition: one of the two holds it) and gets the partition
 * when the holder leaves; a member killed with SIGKILL (no LeaveGroup) is
 * expelled after its session timeout and the survivor takes its partition
 * from the dead member's last committed offset.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaTestBroker, type KafkaTestBroker } from '../../src/kafka-broker/index.js';
import { collector, consumer, kafka, producer } from './clients.js';

let broker: KafkaTestBroker;
let client: Kafka;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  client = kafka(broker.brokers);
});
afterAll(async () => {
  await broker.close();
});

async function send(topic: string, values: string[]): Promise<void> {
  const p = await producer(client);
  await p.send({ topic, messages: values.map((value) => ({ value })) });
  await p.disconnect();
}

/** Runs a consumer that records values and the partitions of each group join. */
async function member(groupId: string, topic: string, clientId: string) {
  const c = await consumer(kafka(broker.brokers, clientId), groupId);
  const values = collector<string>();
  const joins = collector<number[]>();
  c.on(c.events.GROUP_JOIN, (e) => joins.push(e.payload.memberAssignment[topic] ?? []));
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => values.push(String(message.value)) });
  return { c, values, joins };
}

/** Resolves when `f` holds (the test's own wait, polling every 20 ms); the error names what it waited for. */
async function until(f: () => boolean, what: string, within = 30_000): Promise<void> {
  const deadline = Date.now() + within;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('commits', () => {
  it('a new member resumes from the offset the previous one committed', async () => {
    await send('resume', ['a', 'b', 'c']);
    const first = await member('resume-g', 'resume', 'first');
    await first.values.atLeast(3);
    await first.c.disconnect(); // commits on the way out
    expect(broker.committedOffset('resume-g', 'resume')).toBe(3);
    await send('resume', ['d', 'e']);
    const second = await member('resume-g', 'resume', 'second');
    expect(await second.values.atLeast(2)).toEqual(['d', 'e']);
    await second.c.disconnect();
    expect(broker.committedOffset('resume-g', 'resume')).toBe(5);
  });
});

describe('rebalance', () => {
  it('a joining member makes a new generation; the partition moves when its holder leaves', async () => {
    await send('reb', ['1']);
    const a = await member('reb-g', 'reb', 'a-member');
    expect(await a.joins.atLeast(1)).toEqual([[0]]);
    await a.values.atLeast(1);
    const generation = broker.group('reb-g')!.generationId;
    const b = await member('reb-g', 'reb', 'b-member');
    await b.joins.atLeast(1);
    await until(() => a.joins.items.length >= 2, 'the first member to rejoin');
    const g = broker.group('reb-g')!;
    expect(g.generationId).toBeGreaterThan(generation);
    expect(g.memberIds).toHaveLength(2);
    expect(g.state).toBe('Stable');
    const holders = [a.joins.items.at(-1)!, b.joins.items.at(-1)!];
    expect(holders.flat()).toEqual([0]); // one partition: exactly one member holds it
    const [holder, other] = holders[0]!.length === 1 ? [a, b] : [b, a];
    await holder.c.disconnect(); // LeaveGroup
    await until(() => other.joins.items.at(-1)?.length === 1, 'the partition to move');
    await send('reb', ['2']);
    expect(await other.values.atLeast(1)).toContain('2');
    expect(broker.group('reb-g')!.memberIds).toHaveLength(1);
    await other.c.disconnect();
  });
});

describe('a member that dies', () => {
  it('is expelled after its session timeout; the survivor takes the partition from the committed offset', async () => {
    await send('kill', ['k1', 'k2']);
    const script = fileURLToPath(new URL('./fixtures/member.mjs', import.meta.url));
    // "a-..." sorts before "b-...": kafkajs's round robin gives the partition to the child.
    const child = spawn(
      process.execPath,
      [script, broker.brokers.join(','), 'kill-g', 'kill', 'a-child'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = collector<string>();
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      parts.forEach((l) => lines.push(l));
    });
    let survivor: Awaited<ReturnType<typeof member>> | undefined;
    try {
      await until(() => lines.items.includes('committed 2'), 'the child to consume and commit');
      survivor = await member('kill-g', 'kill', 'b-survivor');
      await survivor.joins.atLeast(1);
      await until(
        () => lines.items.filter((l) => l.startsWith('joined')).length >= 2,
        'the child to rejoin',
      );
      expect(lines.items.filter((l) => l.startsWith('joined')).at(-1)).toBe('joined [0]');
      expect(survivor.joins.items.at(-1)).toEqual([]);
      const childId = broker.group('kill-g')!.memberIds.find((id) => id.startsWith('a-child'))!;
      expect(childId).toBeDefined();

      child.kill('SIGKILL'); // no LeaveGroup: only the session timeout can expel it
      expect(broker.group('kill-g')!.memberIds).toContain(childId);
      await until(
        () => survivor!.joins.items.at(-1)?.length === 1,
        'the survivor to get the partition',
      );
      expect(broker.group('kill-g')!.memberIds).not.toContain(childId);
      await send('kill', ['k3']);
      expect(await survivor.values.atLeast(1)).toEqual(['k3']); // k1, k2 were committed by the child
    } finally {
      child.kill('SIGKILL');
      await survivor?.c.disconnect();
    }
  });
});
