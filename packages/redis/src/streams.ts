/**
 * The stream commands the binding sends (SPEC.md §7b), each a thin parser of
 * Redis 7's RESP2 reply: XADD with MAXLEN, XREADGROUP, XAUTOCLAIM (with the
 * ids it found deleted), XPENDING's delivery counts, XACK, XCLAIM ... IDLE
 * JUSTID (to schedule a retry without counting a delivery), and the
 * dead-letter XADD with the XACK in one script, only while the entry is pending.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import type { EntryFields } from './carrier.js';
import type { MaxLen, RedisArg } from './types.js';
import { arg, str, type Wire } from './wire.js';

/** An entry as read: its id and raw fields (null when the entry was deleted). */
export interface RawEntry {
  id: string;
  fields: unknown[] | null;
}

function bad(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `Redis answered an unexpected ${what} reply`);
}

/** The MAXLEN arguments of an XADD (`~` approximate unless exact). */
export function maxLenArgs(m: MaxLen | undefined): string[] {
  if (m === undefined) return [];
  const count = typeof m === 'number' ? m : m?.count;
  if (!Number.isSafeInteger(count) || (count as number) < 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"maxLen" expected an integer >= 0');
  const exact = typeof m === 'object' && m.exact === true;
  return ['MAXLEN', exact ? '=' : '~', String(count)];
}

export function xaddArgs(key: string, maxLen: MaxLen | undefined, fields: EntryFields): RedisArg[] {
  return ['XADD', key, ...maxLenArgs(maxLen), '*', ...fields.map(arg)];
}

export async function xadd(w: Wire, key: string, maxLen: MaxLen | undefined, fields: EntryFields) {
  return str(await w.call(xaddArgs(key, maxLen, fields)));
}

function entries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) throw bad('entries');
  return reply.map((e) => {
    if (!Array.isArray(e) || e.length < 2) throw bad('entry');
    return { id: str(e[0]), fields: Array.isArray(e[1]) ? (e[1] as unknown[]) : null };
  });
}

/**
 * The entries of one stream in an XREAD-style reply: RESP2's
 * `[[key, entries]]`, or RESP3's map `{ key: entries }` (node-redis 6 speaks RESP3).
 */
export function streamEntries(reply: unknown): RawEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    if (!Array.isArray(reply[0])) throw bad('XREADGROUP');
    return entries((reply[0] as unknown[])[1]);
  }
  if (reply instanceof Map) return entries([...(reply as Map<unknown, unknown>).values()][0]);
  if (typeof reply === 'object') return entries(Object.values(reply)[0]);
  throw bad('XREADGROUP');
}

/** XREADGROUP of new entries (`>`), blocking up to `blockMs` when given. */
export async function xreadgroup(
  w: Wire,
  t: { stream: string; group: string; consumer: string },
  count: number,
  blockMs: number | undefined,
): Promise<RawEntry[]> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const reply = await w.call([
    'XREADGROUP',
    'GROUP',
    t.group,
    t.consumer,
    'COUNT',
    String(count),
    ...block,
    'STREAMS',
    t.stream,
    '>',
  ]);
  return streamEntries(reply);
}

/** XAUTOCLAIM: claimed entries, the next cursor, and ids found deleted (trimmed). */
export async function xautoclaim(
  w: Wire,
  t: { stream: string; group: string; consumer: string },
  minIdleMs: number,
  cursor: string,
  count: number,
): Promise<{ next: string; claimed: RawEntry[]; deleted: string[] }> {
  const reply = await w.call([
    'XAUTOCLAIM',
    t.stream,
    t.group,
    t.consumer,
    String(minIdleMs),
    cursor,
    'COUNT',
    String(count),
  ]);
  if (!Array.isArray(reply) || reply.length < 2) throw bad('XAUTOCLAIM');
  const deleted = Array.isArray(reply[2]) ? (reply[2] as unknown[]).map(str) : [];
  return { next: str(reply[0]), claimed: entries(reply[1]), deleted };
}

/** Delivery counts (XPENDING extended form) of this consumer's pending entries between two ids. */
export async function deliveryCounts(
  w: Wire,
  t: { stream: string; group: string; consumer: string },
  first: string,
  last: string,
  count: number,
): Promise<Map<string, number>> {
  const reply = await w.call([
    'XPENDING',
    t.stream,
    t.group,
    first,
    last,
    String(count),
    t.consumer,
  ]);
  if (!Array.isArray(reply)) throw bad('XPENDING');
  const out = new Map<string, number>();
  for (const row of reply) {
    if (!Array.isArray(row) || row.length < 4) throw bad('XPENDING');
    out.set(str(row[0]), Number(row[3]));
  }
  return out;
}

/** XACK of one or more entries of `group`. */
export async function xack(w: Wire, stream: string, group: string, ids: string[]): Promise<void> {
  await w.call(['XACK', stream, group, ...ids]);
}

/** Sets a pending entry's idle time so that XAUTOCLAIM picks it up after `delayMs` (not a delivery). */
export async function retryAfter(
  w: Wire,
  t: { stream: string; group: string; consumer: string },
  id: string,
  delayMs: number,
  claimIdleMs: number,
): Promise<void> {
  const idle = Math.max(0, claimIdleMs - Math.max(0, Math.round(delayMs)));
  await w.call(['XCLAIM', t.stream, t.group, t.consumer, '0', id, 'IDLE', String(idle), 'JUSTID']);
}

/**
 * SPEC.md §7b, written before acked, exactly once: only while the entry is
 * still pending in the group (XPENDING) is the copy XADDed, and then the
 * original XACKed, in one script. A MULTI could do neither: it writes a copy
 * for every consumer that settles a reclaimed entry, and it still runs the
 * XACK when the XADD fails at run time (no rollback). A script stops at its
 * first error, before the XACK. KEYS: the stream, the dead-letter stream (one
 * hash slot on a cluster); ARGV: group, id, the count of MAXLEN arguments,
 * those arguments, then the copy's fields. Returns 1 when written, 0 when
 * the entry was no longer pending (another consumer settled it).
 */
const DEAD_LETTER_SCRIPT = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1) == 0 then return 0 end
local n = tonumber(ARGV[3])
local xadd = { 'XADD', KEYS[2] }
for i = 4, 3 + n do xadd[#xadd + 1] = ARGV[i] end
xadd[#xadd + 1] = '*'
for i = 4 + n, #ARGV do xadd[#xadd + 1] = ARGV[i] end
redis.call(unpack(xadd))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** The dead-letter copy and the XACK of the original, atomically and only once; true when written. */
export async function deadLetterAndAck(
  w: Wire,
  dl: { stream: string; maxLen: MaxLen | undefined; fields: EntryFields },
  t: { stream: string; group: string },
  id: string,
): Promise<boolean> {
  const maxLen = maxLenArgs(dl.maxLen);
  const reply = await w.call([
    'EVAL',
    DEAD_LETTER_SCRIPT,
    '2',
    t.stream,
    dl.stream,
    t.group,
    id,
    String(maxLen.length),
    ...maxLen,
    ...dl.fields.map(arg),
  ]);
  if (reply !== 0 && reply !== 1) throw bad('dead-letter script');
  return reply === 1;
}
