/**
 * What the connected nats-server supports, read from the INFO it sent
 * (`nc.info.version`): a `term` reason reaches JetStream advisories only from
 * 2.10; an older server is sent a bare `+TERM` (SPEC.md §7b dead-letter step).
 */
import type { NatsConnectionLike } from './types.js';

/** `major.minor.patch` of the server, or undefined when the connection tells none. */
export function serverVersion(
  nc: Pick<NatsConnectionLike, 'info'>,
): [number, number, number] | undefined {
  const v = nc.info?.version;
  if (typeof v !== 'string') return undefined;
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whether `v` is at least `major.minor`. */
export function atLeast(
  v: [number, number, number] | undefined,
  major: number,
  minor: number,
): boolean {
  if (!v) return false;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** Features of the server: `termReason` from 2.10. Unknown versions get the conservative answer. */
export function serverFeatures(nc: Pick<NatsConnectionLike, 'info'>): { termReason: boolean } {
  return { termReason: atLeast(serverVersion(nc), 2, 10) };
}
