/** Command-line options of nats.mjs. */

export const NATS_USAGE = `Usage: node benchmarks/nats.mjs [options]
  --quick              2 short rounds (~20 s): a smoke test, not a measurement
  --sizes 1k,64k       payload sizes (suffixes k and m mean KiB and MiB; default 1k,64k)
  --transports a,b     core, js (default both)
  --only a,b           rows: plain, hand, binding, hand-redis, binding-redis (default all)
  --rounds N           rounds (default 5, quick 2)
  --cell-ms N          throughput: publishing time per cell per round in ms (default 900, quick 200)
  --window N           throughput: messages between publish and completion at most (default 64)
  --latency-ms N       latency: time per cell per round publishing one message at a time
                       (window 1; default 400, quick 80; 0 skips the latency pass)
  --concurrency N      deliveries processed at once, hand-wired and binding (default 16)
  --concurrency-rows a,b  extra binding rows (memory store) at these concurrencies
  --pull-ahead-rows a,b   extra JetStream binding rows (memory store) pulling this many ahead
                       (the consume option maxMessages; the binding's default is 4 x its concurrency)
  --binding-b FILE     another @blindwire/nats build (its dist/index.js, e.g. main's)
                       measured beside this one in the same rounds
  --nats URL           default nats://127.0.0.1:4222
  --redis URL          default redis://127.0.0.1:6379
  --help`;

export const ROW_IDS = ['plain', 'hand', 'binding', 'hand-redis', 'binding-redis'];

function parseSize(s) {
  const m = /^(\d+)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`--sizes: not a size: ${JSON.stringify(s)}`);
  const unit = { '': 1, k: 1024, m: 1048576 }[m[2].toLowerCase()];
  const n = Number(m[1]) * unit;
  if (n < 8 || n > 512 * 1024) throw new Error(`--sizes: ${s} is outside 8 B .. 512 KiB`);
  return n;
}

function positiveInt(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} expected a positive integer, got ${v}`);
  return n;
}

function nonNegativeInt(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} expected a non-negative integer, got ${v}`);
  return n;
}

const list = (v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function oneOf(name, values, allowed) {
  for (const v of values)
    if (!allowed.includes(v)) throw new Error(`${name}: ${v} is not one of ${allowed.join(', ')}`);
  return values;
}

export function parseNatsArgs(argv) {
  const o = {
    quick: false,
    sizes: [1024, 65536],
    transports: ['core', 'js'],
    only: ROW_IDS,
    rounds: null,
    cellMs: null,
    latencyMs: null,
    window: 64,
    concurrency: 16,
    concurrencyRows: [],
    pullAheadRows: [],
    nats: 'nats://127.0.0.1:4222',
    redis: 'redis://127.0.0.1:6379',
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--sizes') o.sizes = list(next()).map(parseSize);
    else if (a === '--transports') o.transports = oneOf(a, list(next()), ['core', 'js']);
    else if (a === '--only') o.only = oneOf(a, list(next()), ROW_IDS);
    else if (a === '--rounds') o.rounds = positiveInt(a, next());
    else if (a === '--cell-ms') o.cellMs = positiveInt(a, next());
    else if (a === '--window') o.window = positiveInt(a, next());
    else if (a === '--latency-ms') o.latencyMs = nonNegativeInt(a, next());
    else if (a === '--concurrency') o.concurrency = positiveInt(a, next());
    else if (a === '--concurrency-rows')
      o.concurrencyRows = list(next()).map((v) => positiveInt(a, v));
    else if (a === '--pull-ahead-rows')
      o.pullAheadRows = list(next()).map((v) => positiveInt(a, v));
    else if (a === '--nats') o.nats = next();
    else if (a === '--redis') o.redis = next();
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}\n${NATS_USAGE}`);
  }
  o.rounds ??= o.quick ? 2 : 5;
  o.cellMs ??= o.quick ? 200 : 900;
  o.latencyMs ??= o.quick ? 80 : 400;
  o.warmupMs = o.quick ? 100 : 300;
  return o;
}
