/** Reading errors in the directory's tests. */
import { BlindwireError } from '@blindwire/core';
import { expect } from 'vitest';

/** The code a promise rejects with (or its message), or 'resolved'. */
export const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: { code?: string; message?: string }) => e.code ?? e.message ?? String(e),
  );

/** The code a call throws (or its text), or 'returned'. */
export const codeOfSync = (f: () => unknown): string => {
  try {
    f();
    return 'returned';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};

/** The BlindwireError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(p: Promise<unknown>): Promise<BlindwireError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(BlindwireError);
  return e as BlindwireError;
}
