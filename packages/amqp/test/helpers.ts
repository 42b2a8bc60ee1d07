/**
 * Shared set-up of the AMQP binding's integration tests: both ends of the
 * client range (amqplib 0.10.4 and the latest 2.x, through an npm alias),
 * identities, unique queue names per run, classic and quorum queues with
 * their delay and dead-letter queues, and a wait helper.
 */
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity, type Identity } from '@blindwire/core';
import * as amqpLatest from 'amqplib';
// @ts-expect-error: the 0.10.4 alias has no types of its own (the same API as @types/amqplib)
import * as amqp010 from 'amqplib0-10';
import type { AmqpBindingOptions } from '../src/index.js';

export const URL = 'amqp://guest:guest@127.0.0.1:5672';
export const RUN = randomBytes(4).toString('hex');
let n = 0;
/** A name of its own: `bwt.<run>.<n>`. */
export const fresh = (): string => `bwt.${RUN}.${++n}`;

type Connect = typeof amqpLatest.connect;
export interface Client {
  version: '0.10.4' | 'latest';
  connect: Connect;
}
export const CLIENTS: Client[] = [
  { version: 'latest', connect: amqpLatest.connect },
  { version: '0.10.4', connect: (amqp010 as { connect: Connect }).connect },
];
export type QueueType = 'classic' | 'quorum';
export const QUEUE_TYPES: QueueType[] = ['classic', 'quorum'];

export interface Parties {
  alice: Identity;
  bob: Identity;
  mallory: Identity;
}

export async function parties(): Promise<Parties> {
  const [alice, bob, mallory] = await Promise.all(
    ['alice', 'bob', 'mallory'].map((x) => generateIdentity(`spiffe://example.org/${x}`)),
  );
  return { alice: alice!, bob: bob!, mallory: mallory! };
}

/** Options of `me` that seal as `me` and open from `trusted`. */
export function optionsOf(me: Identity, trusted: Identity[]): AmqpBindingOptions {
  return {
    sender: me,
    recipient: me.encryption,
    trustedSenders: trusted.map(publicIdentity),
    retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 200 },
  };
}

/** Declares a work queue of `type`, its delay queue and a dead-letter queue; returns their names. */
export async function queues(
  ch: amqpLatest.Channel,
  type: QueueType,
): Promise<{ work: string; retry: string; dead: string }> {
  const work = fresh();
  const names = { work, retry: `${work}.retry`, dead: `${work}.dead` };
  await ch.assertQueue(work, { durable: true, arguments: { 'x-queue-type': type } });
  await ch.assertQueue(names.retry, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': work },
  });
  await ch.assertQueue(names.dead, { durable: true });
  return names;
}

/** Resolves once `cond()` holds, polling every 20 ms; fails after `ms`. */
export async function until(cond: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every message of `queue`, taken with basic.get (destructive). */
export async function drain(
  ch: amqpLatest.Channel,
  queue: string,
): Promise<amqpLatest.GetMessage[]> {
  const out: amqpLatest.GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m);
  }
}
