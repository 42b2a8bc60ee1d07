/** The kit's rejection assertions: one meaning for a sync throw and a rejected promise. */
import { describe, expect, it } from 'vitest';
import {
  errorCode,
  errorCodeSync,
  expectCode,
  isBlindwireErrorLike,
  outcomeOf,
  outcomeOfSync,
  rejection,
} from '../src/index.js';

/** The shape of core's BlindwireError (the kit does not import core). */
class BlindwireError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BlindwireError';
  }
}
const replay = () => new BlindwireError('ERR_REPLAY', 'message already processed');

describe('rejection and expectCode', () => {
  it('return the BlindwireError of a rejected promise, a throwing call or an async call', async () => {
    const e = replay();
    expect(await rejection(Promise.reject(e))).toBe(e);
    expect(
      await rejection(() => {
        throw e;
      }),
    ).toBe(e);
    expect(await rejection(async () => Promise.reject(e))).toBe(e);
    expect(await expectCode(Promise.reject(e), 'ERR_REPLAY')).toBe(e);
    expect(await expectCode(Promise.reject(e), 'ERR_REPLAY', 'message already processed')).toBe(e);
    expect(await expectCode(Promise.reject(e), 'ERR_REPLAY', /already/)).toBe(e);
  });

  it('fail on the wrong code or message', async () => {
    await expect(expectCode(Promise.reject(replay()), 'ERR_EXPIRED')).rejects.toThrow(
      'expected ERR_EXPIRED, got ERR_REPLAY (message already processed)',
    );
    await expect(expectCode(Promise.reject(replay()), 'ERR_REPLAY', 'other')).rejects.toThrow(
      /expected ERR_REPLAY \(other\), got ERR_REPLAY/,
    );
    await expect(expectCode(Promise.reject(replay()), 'ERR_REPLAY', /^other/)).rejects.toThrow();
  });

  it('fail on a resolved promise or a call that returns', async () => {
    await expect(expectCode(Promise.resolve(1), 'ERR_REPLAY')).rejects.toThrow(
      /expected a rejection \(a BlindwireError\), got a result: number/,
    );
    await expect(rejection(() => 'fine')).rejects.toThrow(/got a result: string/);
    await expect(errorCode(async () => undefined)).rejects.toThrow(/got a result/);
  });

  it('fail on an error that is not a BlindwireError, even with a code', async () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(isBlindwireErrorLike(enoent)).toBe(false);
    await expect(rejection(Promise.reject(enoent))).rejects.toThrow(
      /expected a BlindwireError, got Error: no such file/,
    );
    await expect(rejection(Promise.reject('text'))).rejects.toThrow(/expected a BlindwireError/);
  });
});

describe('errorCode and errorCodeSync', () => {
  it('give the code, and fail otherwise', async () => {
    expect(await errorCode(Promise.reject(replay()))).toBe('ERR_REPLAY');
    expect(
      errorCodeSync(() => {
        throw replay();
      }),
    ).toBe('ERR_REPLAY');
    expect(() => errorCodeSync(() => 1)).toThrow(/got a result: number/);
    expect(() =>
      errorCodeSync(() => {
        throw new TypeError('x');
      }),
    ).toThrow(/expected a BlindwireError, got TypeError: x/);
  });
});

describe('outcomeOf and outcomeOfSync', () => {
  it('never fail: the code, else the message or text, or resolved / returned', async () => {
    expect(await outcomeOf(Promise.reject(replay()))).toBe('ERR_REPLAY');
    expect(await outcomeOf(Promise.reject(new Error('plain')))).toBe('plain');
    expect(await outcomeOf(Promise.resolve(1))).toBe('resolved');
    expect(outcomeOfSync(() => 1)).toBe('returned');
    expect(
      outcomeOfSync(() => {
        throw replay();
      }),
    ).toBe('ERR_REPLAY');
    expect(
      outcomeOfSync(() => {
        throw new Error('plain');
      }),
    ).toBe('Error: plain');
  });
});
