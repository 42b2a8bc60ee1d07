/**
 * Tables of the NATS benchmark (Markdown, so the console output pastes into
 * the README as is): per cell the medians over rounds, and the ratios
 * binding ÷ hand-wired and sealed ÷ plaintext.
 */
import { median, quantile } from './stats.mjs';
import { num, sizeLabel } from './report.mjs';

const ratio = (x) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(2)}×`;
const ms = (x) => (Number.isFinite(x) ? (x >= 10 ? x.toFixed(0) : x.toFixed(2)) : 'n/a');
const TRANSPORT = { core: 'NATS core', js: 'JetStream' };

function markdown(head, align, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const pad = (s, i) => (align[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const dashes = (w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w));
  return [line(head), `| ${widths.map(dashes).join(' | ')} |`, ...body.map(line)].join('\n');
}

/** Median of the per-round ratios a[i] / b[i] (rounds interleave, so each pair shared its conditions). */
function pairedRatio(a, b) {
  const n = Math.min(a.length, b.length);
  const r = [];
  for (let i = 0; i < n; i++) if (b[i] > 0) r.push(a[i] / b[i]);
  return r.length ? median(r) : NaN;
}

/**
 * `cells`: `{ transport, size, id, label, rates[], cpuRates[], p50s[], p99s[] }`.
 * Returns the summarised rows (for the JSON) with their ratios.
 */
export function summarise(cells) {
  const find = (c, id) =>
    cells.find((x) => x.transport === c.transport && x.size === c.size && x.id === id);
  return cells.map((c) => {
    const rate = median(c.rates);
    // The Redis binding row is held to the hand-wired loop on the same store, when measured.
    const hand = (c.id === 'binding-redis' && find(c, 'hand-redis')) || find(c, 'hand');
    const plain = find(c, 'plain');
    const vsHand =
      c.id.startsWith('binding') && hand?.rates.length ? rate / median(hand.rates) : null;
    const vsPlain = c.id !== 'plain' && plain?.rates.length ? rate / median(plain.rates) : null;
    return {
      transport: c.transport,
      size: c.size,
      id: c.id,
      label: c.label,
      rounds: c.rates.length,
      msgsPerSec: rate,
      mbPerSec: (rate * c.size) / 1e6,
      msgsPerCpuSec: median(c.cpuRates),
      p50Ms: median(c.p50s),
      p99Ms: median(c.p99s),
      latencyP50Ms: c.lat50s.length ? median(c.lat50s) : NaN,
      latencyP99Ms: c.lat99s.length ? median(c.lat99s) : NaN,
      spread: c.rates.length ? (quantile(c.rates, 0.75) - quantile(c.rates, 0.25)) / rate / 2 : NaN,
      vsHand,
      vsHandRow: vsHand === null ? null : hand.id,
      vsHandPerRound: vsHand === null ? null : pairedRatio(c.rates, hand.rates),
      vsHandCpu: vsHand === null ? null : median(c.cpuRates) / median(hand.cpuRates),
      vsPlain,
      latencyP50VsHand: vsHand === null ? null : median(c.lat50s) / median(hand.lat50s),
      latencyP50VsPlain: vsPlain === null ? null : median(c.lat50s) / median(plain.lat50s),
      latencyP99VsPlain: vsPlain === null ? null : median(c.lat99s) / median(plain.lat99s),
      perRound: {
        rates: c.rates,
        cpuRates: c.cpuRates,
        p50s: c.p50s,
        p99s: c.p99s,
        latencyP50s: c.lat50s,
        latencyP99s: c.lat99s,
      },
    };
  });
}

export function natsTable(rows) {
  const head = [
    'Transport',
    'Size',
    'Row',
    'msgs/s',
    'MB/s',
    'msgs/CPU-s',
    'p50 ms',
    'p99 ms',
    '1-at-a-time p50',
    'p99',
    '÷ hand-wired',
    '÷ plaintext',
    'Spread',
  ];
  const align = ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  const body = rows.map((r, i) => {
    const prev = rows[i - 1];
    const sameT = prev && prev.transport === r.transport;
    const sameS = sameT && prev.size === r.size;
    return [
      sameT ? '' : TRANSPORT[r.transport],
      sameS ? '' : sizeLabel(r.size),
      r.label,
      num(r.msgsPerSec),
      num(r.mbPerSec),
      num(r.msgsPerCpuSec),
      ms(r.p50Ms),
      ms(r.p99Ms),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      r.vsHand === null ? '' : ratio(r.vsHand),
      r.vsPlain === null ? '' : ratio(r.vsPlain),
      Number.isFinite(r.spread) ? `±${Math.round(100 * r.spread)}%` : 'n/a',
    ];
  });
  return [
    markdown(head, align, body),
    '',
    '÷ hand-wired: a binding row ÷ the hand-wired row on the same replay store. p50/p99 ms: under load',
    '(window 64, mostly queueing); 1-at-a-time: one message in flight, publish call to handler.',
  ].join('\n');
}

/** The ratios the issue asks for, one line per (transport, size). */
export function ratioLines(rows) {
  const out = [];
  const keys = [...new Set(rows.map((r) => `${r.transport}/${r.size}`))];
  for (const k of keys) {
    const at = rows.filter((r) => `${r.transport}/${r.size}` === k);
    const [t, s] = [at[0].transport, at[0].size];
    const parts = [];
    for (const r of at.filter((x) => x.vsHand !== null)) {
      const ok = r.vsHand >= 0.9 ? 'target ≥ 0.9× met' : 'BELOW the 0.9× target';
      parts.push(
        `${r.label} ÷ ${r.vsHandRow === 'hand-redis' ? 'hand-wired (Redis store)' : 'hand-wired'} ${ratio(r.vsHand)} (per-round ${ratio(r.vsHandPerRound)}, CPU ${ratio(r.vsHandCpu)}; ${ok}; 1-at-a-time p50 ${ratio(r.latencyP50VsHand)})`,
      );
    }
    for (const r of at.filter(
      (x) => (x.id === 'hand' || x.id === 'binding') && x.vsPlain !== null,
    )) {
      parts.push(
        `${r.label} ÷ plaintext: throughput ${ratio(r.vsPlain)}, 1-at-a-time p50 ${ratio(r.latencyP50VsPlain)}, p99 ${ratio(r.latencyP99VsPlain)}`,
      );
    }
    out.push(`- ${TRANSPORT[t]} ${sizeLabel(s)}: ${parts.join('; ') || 'no ratio (rows missing)'}`);
  }
  return out.join('\n');
}
