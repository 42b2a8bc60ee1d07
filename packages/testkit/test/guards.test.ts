/**
 * The service probe and the build guard: outside CI a missing service or
 * build skips with one line saying what to do; under CI=true it does not
 * skip, and asserting it fails. Also the reference clock.
 */
import { describe, expect, it } from 'vitest';
import { SERVICES, createClock, isCI, probeService, requireBuild } from '../src/index.js';

const CI = { CI: 'true' };
const LOCAL = {};

describe('probeService', () => {
  it('knows how to start each service, in one line', () => {
    expect(Object.keys(SERVICES).sort()).toEqual([
      'mosquitto',
      'nats',
      'postgres',
      'rabbitmq',
      'redis',
    ]);
    const ports = Object.values(SERVICES)
      .map((s) => s.port)
      .sort();
    expect(ports).toEqual([1883, 4222, 5432, 5672, 6379]);
    for (const s of Object.values(SERVICES)) expect(s.start).not.toMatch(/\n/);
  });

  it('outside CI, a service that is down skips, with one line on how to start it', async () => {
    const lines: string[] = [];
    const s = await probeService('rabbitmq', {
      env: LOCAL,
      probe: async () => false,
      warn: (l) => lines.push(l),
    });
    expect(s).toMatchObject({ up: false, skip: true });
    expect(lines).toEqual([
      `[skipped] RabbitMQ is not reachable on 127.0.0.1:5672; start it with: ${SERVICES.rabbitmq.start}`,
    ]);
    expect(() => s.assertUp()).toThrow(/RabbitMQ is not reachable/);
  });

  it('under CI=true, a service that is down does not skip, and assertUp fails', async () => {
    const lines: string[] = [];
    const s = await probeService('mosquitto', {
      env: CI,
      probe: async () => false,
      warn: (l) => lines.push(l),
    });
    expect(s).toMatchObject({ up: false, skip: false });
    expect(lines).toEqual([]);
    expect(() => s.assertUp()).toThrow(
      `Mosquitto (MQTT) is not reachable on 127.0.0.1:1883 (CI=true, so this fails rather than skips); start it with: ${SERVICES.mosquitto.start}`,
    );
  });

  it('a service that is up neither skips nor fails', async () => {
    for (const env of [CI, LOCAL]) {
      const s = await probeService('redis', {
        env,
        probe: async () => true,
        warn: () => expect.fail('warned'),
      });
      expect(s).toMatchObject({ up: true, skip: false });
      s.assertUp();
    }
  });
});

describe('requireBuild', () => {
  it('outside CI, a missing build skips with one line; under CI it fails', () => {
    const lines: string[] = [];
    const local = requireBuild(['/x/dist/a.js', '/x/dist/b.js'], '@blindwire/x', {
      env: LOCAL,
      exists: (f) => f.endsWith('a.js'),
      warn: (l) => lines.push(l),
    });
    expect(local).toMatchObject({ built: false, skip: true, missing: ['/x/dist/b.js'] });
    expect(lines).toEqual([
      '[skipped] @blindwire/x is not built (missing /x/dist/b.js); run `pnpm build` at the repository root',
    ]);
    const ci = requireBuild('/x/dist/b.js', '@blindwire/x', {
      env: CI,
      exists: () => false,
      warn: () => expect.fail(),
    });
    expect(ci.skip).toBe(false);
    expect(() => ci.assertBuilt()).toThrow(/not built .*CI=true, so this fails rather than skips/);
  });

  it('a build that is there neither skips nor fails', () => {
    const b = requireBuild([new URL(import.meta.url).pathname], 'this file', { env: CI });
    expect(b).toMatchObject({ built: true, skip: false, missing: [] });
    b.assertBuilt();
  });

  it('isCI reads CI=true or CI=1', () => {
    expect([isCI({ CI: 'true' }), isCI({ CI: '1' }), isCI({ CI: 'false' }), isCI({})]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('createClock', () => {
  it('reads its start until moved; advance, set and setSeconds move it; seconds are whole', () => {
    const c = createClock(1_795_435_200_500);
    const { now, seconds } = c; // unbound, as options take them
    expect(now()).toBe(1_795_435_200_500);
    expect(seconds()).toBe(1_795_435_200);
    expect(c.advance(600)).toBe(1_795_435_201_100);
    expect(seconds()).toBe(1_795_435_201);
    expect(c.advance(-1_100)).toBe(1_795_435_200_000);
    expect(c.set(5)).toBe(5);
    expect(c.setSeconds(7)).toBe(7000);
    expect(now()).toBe(7000);
  });
});
