/**
 * NATS subject filters as policy matchers (SPEC.md §7b, §11b): a policy
 * entry's `match` string is read as a NATS filter (`*` one token, `>` one or
 * more trailing tokens) and tested against the concrete subject a message
 * arrived on, token by token; a function `match` is kept as given.
 */
import { BlindwireError, ErrorCode, type DestinationPolicy } from '@blindwire/core';

function badFilter(where: string, filter: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.InvalidArgument,
    `"${where}" expected a NATS subject filter (tokens split by ".", "*" a token, ">" last), got ${JSON.stringify(filter)}`,
  );
}

/** A matcher for NATS subject filter `filter`; refuses empty tokens, spaces and a `>` not last. */
export function compileSubjectFilter(
  filter: string,
  where = 'filter',
): (subject: string) => boolean {
  if (typeof filter !== 'string' || filter.length === 0 || /\s/.test(filter))
    throw badFilter(where, filter);
  const want = filter.split('.');
  // A `*` or `>` inside a longer token is a literal character to NATS, and here.
  want.forEach((t, i) => {
    if (t === '' || (t === '>' && i !== want.length - 1)) throw badFilter(where, filter);
  });
  return (subject: string) => {
    if (typeof subject !== 'string') return false;
    const got = subject.split('.');
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      if (w === '>') return got.length > i;
      if (i >= got.length) return false;
      if (w !== '*' && w !== got[i]) return false;
      if (got[i] === '') return false;
    }
    return got.length === want.length;
  };
}

/** The policy entries with each string `match` compiled as a NATS filter. */
export function natsPolicy(policy: DestinationPolicy[], where: string): DestinationPolicy[] {
  if (!Array.isArray(policy) || policy.length === 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${where}" expected a non-empty array of { match, ... } entries`,
    );
  return policy.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null)
      throw new BlindwireError(ErrorCode.InvalidArgument, `"${where}[${i}]" expected an object`);
    if (typeof entry.match === 'function') return entry;
    return { ...entry, match: compileSubjectFilter(entry.match, `${where}[${i}].match`) };
  });
}
