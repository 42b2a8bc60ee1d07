/** Command-line options of run.mjs. */

export const USAGE = `Usage: node benchmarks/run.mjs [options]
  --quick              3 short rounds: a smoke test, not a measurement
  --sizes 256,4096     payload sizes in bytes (suffixes k and m mean KiB and MiB)
  --only a,b           implementations by id; a name that is not an id picks
                       every id starting with it (e.g. blindwire,sodium); see --list
  --rounds N           rounds (default 7, quick 3)
  --cell-ms N          time per cell per round in ms (default: fitted to ~2 min, 50..200)
  --no-bundle          skip the browser bundle measurement
  --no-overhead        skip the library-overhead measurement (no-crypto backend)
  --no-streams         skip the streaming measurement (1 GiB, or --stream-size)
  --stream-size N      bytes streamed (suffixes k, m, g; default 1g; quick 64m)
  --list               print the implementation ids and exit
  --help`;

export const DEFAULT_SIZES = [256, 4096, 65536, 1048576];

function parseSize(s) {
  const m = /^(\d+)([kKmM]?)(i?[bB])?$/.exec(s.trim());
  if (!m) throw new Error(`--sizes: not a size: ${JSON.stringify(s)}`);
  const n =
    Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1024 : m[2].toLowerCase() === 'm' ? 1048576 : 1);
  if (n < 1 || n > 8 * 1048576) throw new Error(`--sizes: ${s} is outside 1 B .. 8 MiB`);
  return n;
}

export function parseArgs(argv) {
  const o = {
    quick: false,
    sizes: DEFAULT_SIZES,
    only: null,
    rounds: null,
    cellMs: null,
    bundle: true,
    streams: true,
    overhead: true,
    streamBytes: null,
    list: false,
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
    else if (a === '--sizes') o.sizes = next().split(',').map(parseSize);
    else if (a === '--only')
      o.only = next()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--rounds') o.rounds = positiveInt(a, next());
    else if (a === '--cell-ms') o.cellMs = positiveInt(a, next());
    else if (a === '--no-bundle') o.bundle = false;
    else if (a === '--no-streams') o.streams = false;
    else if (a === '--no-overhead') o.overhead = false;
    else if (a === '--stream-size') o.streamBytes = parseStreamSize(next());
    else if (a === '--list') o.list = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  o.streamBytes ??= o.quick ? 64 * 1024 ** 2 : 1024 ** 3;
  return o;
}

function parseStreamSize(s) {
  const m = /^(\d+)([kKmMgG]?)$/.exec(s.trim());
  if (!m) throw new Error(`--stream-size: not a size: ${JSON.stringify(s)}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
  return Number(m[1]) * unit;
}

function positiveInt(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} expected a positive integer, got ${v}`);
  return n;
}

/** The ids `--only` picks: a name equal to an id picks it alone, otherwise every id starting with it. */
export function selectIds(only, ids) {
  if (!only) return ids;
  const picked = new Set();
  for (const n of only) {
    const hits = ids.includes(n) ? [n] : ids.filter((id) => id.startsWith(n));
    if (hits.length === 0)
      throw new Error(
        `--only: no implementation matches ${JSON.stringify(n)} (have ${ids.join(', ')})`,
      );
    for (const h of hits) picked.add(h);
  }
  return ids.filter((id) => picked.has(id));
}
