/**
 * Shared set-up of the NATS binding's integration tests: both ends of the
 * client range (nats.js 3.0.0 and the latest 3.x, through npm aliases),
 * identities, unique subjects and streams per run, and a wait helper.
 */
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity, type Identity } from '@blindwire/core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream as jetstream30, jetstreamManager as jetstreamManager30 } from 'nats-js3-0';
import { connect as connect30 } from 'nats-node3-0';
import type { JetStreamLike, NatsBindingOptions, NatsConnectionLike } from '../src/index.js';

export const SERVERS = '127.0.0.1:4222';
export const RUN = randomBytes(4).toString('hex');
let n = 0;
/** A subject prefix of its own: `bwt.<run>.<n>`. */
export const fresh = (): string => `bwt.${RUN}.${++n}`;
/** A stream name of its own. */
export const freshStream = (): string => `BWT_${RUN}_${++n}`;

/** One end of the client range: its connect, jetstream and jetstreamManager. */
export interface Client {
  version: '3.0.0' | 'latest';
  connect(): Promise<NatsConnection>;
  js(nc: NatsConnection): JetStreamLike & ReturnType<typeof jetstream>;
  jsm(nc: NatsConnection): Promise<JetStreamManager>;
}

export const CLIENTS: Client[] = [
  {
    version: 'latest',
    connect: () => connect({ servers: SERVERS }),
    js: (nc) => jetstream(nc),
    jsm: (nc) => jetstreamManager(nc),
  },
  {
    version: '3.0.0',
    connect: async () => (await connect30({ servers: SERVERS })) as unknown as NatsConnection,
    js: (nc) => jetstream30(nc as never) as unknown as ReturnType<typeof jetstream>,
    jsm: async (nc) => (await jetstreamManager30(nc as never)) as unknown as JetStreamManager,
  },
];

export interface Parties {
  alice: Identity;
  bob: Identity;
  mallory: Identity;
}

export async function parties(): Promise<Parties> {
  const [alice, bob, mallory] = await Promise.all([
    generateIdentity('spiffe://example.org/alice'),
    generateIdentity('spiffe://example.org/bob'),
    generateIdentity('spiffe://example.org/mallory'),
  ]);
  return { alice, bob, mallory };
}

/** Binding options of `me` that seal as `me` and open from `trusted` (their public identities). */
export function endpoint(
  me: Identity,
  trusted: Identity[],
  extra: Partial<NatsBindingOptions> = {},
): NatsBindingOptions {
  return {
    sender: me,
    recipient: me,
    trustedSenders: trusted.map((t) => publicIdentity(t)),
    ...extra,
  };
}

/** Resolves once `cond()` holds, polling; fails after `ms`. */
export async function until(cond: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The connection as the binding types it (checks both versions fit, at compile time). */
export const asLike = (nc: NatsConnection): NatsConnectionLike => nc;

/** Whether `hay` holds any 8-byte window of `needle` (a blindness spy). */
export function leaks(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length < 8) return Buffer.from(hay).includes(Buffer.from(needle));
  const h = Buffer.from(hay);
  for (let i = 0; i + 8 <= needle.length; i++)
    if (h.includes(Buffer.from(needle.subarray(i, i + 8)))) return true;
  return false;
}
