/**
 * The key store's KDF (SPEC.md §11.4 keeps private keys at rest; crypto.ts):
 * the native scrypt gives the pure one's bytes, new files use N=2^17, files
 * written with the old N=2^15 still open, and a file asking for more than
 * the caps is refused with a clear error before any work.
 */
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '@blindwire/testkit';
import { scrypt, scryptImplementation } from '../src/crypto.js';
import { createFileKeyStore } from '../src/keys/file-key-store.js';
import { MAX_SCRYPT_WORK, SCRYPT, scryptParamsProblem } from '../src/keys/key-sealing.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-kdf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scrypt: native and pure agree (RFC 7914)', () => {
  it('runs the native one on Node', async () => {
    expect(await scryptImplementation()).toBe('native');
  });

  it('on the RFC 7914 §12 vector', async () => {
    const enc = new TextEncoder();
    const params = { N: 1024, r: 8, p: 16, dkLen: 64, maxmem: 2 ** 28 };
    const expected =
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640';
    for (const pure of [false, true]) {
      const k = await scrypt(enc.encode('password'), enc.encode('NaCl'), params, { pure });
      expect(Buffer.from(k).toString('hex')).toBe(expected);
    }
  });

  it('on random passwords, salts and parameter sets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.uint8Array({ minLength: 0, maxLength: 32 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 80 }),
        async (pass, salt, logN, r, p, dkLen) => {
          const params = { N: 2 ** logN, r, p, dkLen, maxmem: 2 ** 28 };
          const native = await scrypt(pass, salt, params);
          const pure = await scrypt(pass, salt, params, { pure: true });
          expect(native).toEqual(pure);
          expect(native).toHaveLength(dkLen);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('the file key store KDF', () => {
  it('new files use N=2^17, r=8, p=1', async () => {
    const path = join(dir, 'new.json');
    await createFileKeyStore(path, { passphrase: 'pw' });
    expect(JSON.parse(await readFile(path, 'utf8')).encryption).toMatchObject({
      kdf: 'scrypt',
      ...SCRYPT,
    });
    expect(SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });

  it('a file written with the old parameters (N=2^15) opens and keeps them', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const path = join(dir, 'old-sealed.json');
    await copyFile(join(fixtures, 'keystore-v1-sealed.json'), path);
    await chmod(path, 0o600);
    const s = await createFileKeyStore(path, { passphrase: 'old passphrase' });
    const keys = await s.list();
    expect(keys.map((k) => k.privateKey[0])).toEqual([101, 102]);
    await s.delete(keys[1]!.kid); // a write keeps the file's own parameters
    expect(JSON.parse(await readFile(path, 'utf8')).encryption.N).toBe(2 ** 15);
    expect(
      await rejection(createFileKeyStore(path, { passphrase: 'wrong passphrase' })),
    ).toMatchObject({ code: 'ERR_OPEN_FAILED' });
  });

  it('a hostile file asking for minutes or gigabytes is refused, naming the cap', async () => {
    const old = JSON.parse(
      await readFile(
        join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'keystore-v1-sealed.json'),
        'utf8',
      ),
    );
    const cases: [Record<string, number>, RegExp][] = [
      [{ N: 2 ** 22, r: 8, p: 1 }, /MiB cap/],
      [{ N: 2 ** 18, r: 8, p: 16 }, /work cap/],
      [{ N: 2 ** 17, r: 8, p: 5 }, /work cap/],
      [{ N: 2 ** 17, r: 8, p: 17 }, /exceeds 16/],
      [{ N: 3 * 2 ** 14, r: 8, p: 1 }, /power of two/],
    ];
    for (const [params, why] of cases) {
      const path = join(dir, `hostile-${params.N}-${params.p}.json`);
      await writeFile(
        path,
        JSON.stringify({ ...old, encryption: { ...old.encryption, ...params } }),
        {
          mode: 0o600,
        },
      );
      const e = await rejection(createFileKeyStore(path, { passphrase: 'old passphrase' }));
      expect(e.code).toBe('ERR_TRANSPORT');
      expect(e.message).toMatch(/scrypt parameters out of range/);
      expect(e.message).toMatch(why);
    }
  });

  it('the caps: the default is well inside, four times the default work is the edge', () => {
    expect(scryptParamsProblem(SCRYPT.N, SCRYPT.r, SCRYPT.p)).toBeUndefined();
    expect(scryptParamsProblem(2 ** 15, 8, 1)).toBeUndefined();
    expect(scryptParamsProblem(2 ** 17, 8, 4)).toBeUndefined();
    expect(MAX_SCRYPT_WORK).toBe(2 ** 17 * 8 * 4);
    expect(scryptParamsProblem(2 ** 18, 8, 2)).toBeUndefined();
    expect(scryptParamsProblem(2 ** 18, 8, 3)).toMatch(/work cap/);
  });
});
