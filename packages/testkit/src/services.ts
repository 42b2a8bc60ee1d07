/**
 * Which of the real services the integration tests need is running on this
 * machine (PostgreSQL, Redis, NATS, RabbitMQ, Mosquitto). Under CI
 * (`CI=true`) a missing service fails the suite; elsewhere the suite is
 * skipped with one console line saying how to start the service.
 *
 *   const redis = await probeService('redis');
 *   describe.skipIf(redis.skip)('redis store', () => {
 *     beforeAll(() => redis.assertUp());
 *     ...
 */
import { connect } from 'node:net';
import { isCI } from './env.js';

export interface Service {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /** How to start it on this machine (Debian packages, no systemd), as .ci/run does: one line. */
  readonly start: string;
}

export const SERVICES = {
  postgres: {
    label: 'PostgreSQL',
    host: '127.0.0.1',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  redis: {
    label: 'Redis',
    host: '127.0.0.1',
    port: 6379,
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  nats: {
    label: 'NATS (JetStream)',
    host: '127.0.0.1',
    port: 4222,
    start:
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  },
  rabbitmq: {
    label: 'RabbitMQ',
    host: '127.0.0.1',
    port: 5672,
    start: 'rabbitmq-server -detached',
  },
  mosquitto: {
    label: 'Mosquitto (MQTT)',
    host: '127.0.0.1',
    port: 1883,
    start: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf',
  },
} as const satisfies Record<string, Service>;

export type ServiceName = keyof typeof SERVICES;

/**
 * Whether something accepts TCP connections on host:port: up to `attempts`
 * tries of `timeoutMs` each, so that a stall of this (busy) machine is not
 * taken for a service that is down.
 */
export async function probePort(
  host: string,
  port: number,
  timeoutMs = 3000,
  attempts = 3,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++) if (await probeOnce(host, port, timeoutMs)) return true;
  return false;
}

function probeOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface ServiceStatus {
  readonly up: boolean;
  /** Pass to `describe.skipIf`: true only outside CI when the service is down. */
  readonly skip: boolean;
  /** Call in `beforeAll` (or the test): throws, failing the suite, when the service is down. */
  assertUp(): void;
}

/** For the kit's own tests: another environment, port probe or console. */
export interface ProbeOptions {
  env?: NodeJS.ProcessEnv;
  probe?: (host: string, port: number) => Promise<boolean>;
  warn?: (line: string) => void;
}

/** Probes `which`; outside CI, a service that is down is reported in one line and skipped. */
export async function probeService(
  which: ServiceName,
  options: ProbeOptions = {},
): Promise<ServiceStatus> {
  const s: Service = SERVICES[which];
  const up = await (options.probe ?? probePort)(s.host, s.port);
  const ci = isCI(options.env);
  const where = `${s.label} is not reachable on ${s.host}:${s.port}`;
  if (!up && !ci) (options.warn ?? console.warn)(`[skipped] ${where}; start it with: ${s.start}`);
  return {
    up,
    skip: !up && !ci,
    assertUp() {
      if (!up)
        throw new Error(
          `${where} (CI=true, so this fails rather than skips); start it with: ${s.start}`,
        );
    },
  };
}
