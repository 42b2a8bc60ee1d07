/**
 * The summary and table of the Redis Streams benchmark (redis.mjs): per
 * (size, row) the medians over rounds, and the ratios binding ÷ hand-wired
 * (rates, CPU rates, and the median of the per-round ratios) and
 * sealed ÷ plaintext. Markdown, so the output pastes into the README.
 */
import { num, sizeLabel } from './report.mjs';
import { median, summarise as spread } from './stats.mjs';

const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '');

/** Per cell: medians, spread, and its ratios to the other rows of its size (same rounds). */
export function summarise(cells) {
  const out = cells.map((c) => ({
    size: c.size,
    row: c.row.id,
    rate: median(c.rates),
    mbps: (median(c.rates) * c.size) / 1e6,
    cpuRate: median(c.cpuRates),
    p50: median(c.p50s),
    p99: median(c.p99s),
    lat50: median(c.lat50s),
    lat99: median(c.lat99s),
    spread: c.rates.length ? spread(c.rates).relIqr / 2 : NaN,
    rounds: c.rates,
    cpuRounds: c.cpuRates,
  }));
  for (const s of out) {
    const of = (id) => out.find((o) => o.size === s.size && o.row === id);
    const plain = of('plaintext');
    const handRow = of('hand-wired');
    if (s.row !== 'plaintext' && plain) s.vsPlaintext = s.rate / plain.rate;
    if (s.row === 'binding' && handRow) {
      s.vsHand = s.rate / handRow.rate;
      s.vsHandCpu = s.cpuRate / handRow.cpuRate;
      // The rows of one round ran back to back: their ratio, then the median.
      s.vsHandPerRound = median(s.rounds.map((r, i) => r / handRow.rounds[i]));
    }
  }
  return out;
}

function markdown(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    `| ${cells.map((s, i) => (i < 2 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join(' | ')} |`;
  const dashes = widths.map((w, i) => (i < 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`));
  return [line(head), `| ${dashes.join(' | ')} |`, ...body.map(line)].join('\n');
}

export function redisTable(summary) {
  const head = [
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
  const body = summary.map((s, i) => [
    i > 0 && summary[i - 1].size === s.size ? '' : sizeLabel(s.size),
    s.row,
    num(s.rate),
    num(s.mbps),
    num(s.cpuRate),
    num(s.p50),
    num(s.p99),
    num(s.lat50),
    num(s.lat99),
    ratio(s.vsHand),
    ratio(s.vsPlaintext),
    Number.isFinite(s.spread) ? `±${Math.round(s.spread * 100)}%` : '',
  ]);
  const lines = summary
    .filter((s) => s.row === 'binding')
    .map((s) => {
      const h = summary.find((o) => o.size === s.size && o.row === 'hand-wired');
      return (
        `${sizeLabel(s.size)}: binding ÷ hand-wired ${ratio(s.vsHand)} (CPU ${ratio(s.vsHandCpu)}, ` +
        `per-round ${ratio(s.vsHandPerRound)}; target ≥ 0.9×), hand-wired ÷ plaintext ` +
        `${ratio(h?.vsPlaintext)}, binding ÷ plaintext ${ratio(s.vsPlaintext)}`
      );
    });
  return `${markdown(head, body)}\n\nRatios (medians over rounds):\n${lines.join('\n')}`;
}
