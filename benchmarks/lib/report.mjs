/** The results table (Markdown, so the console output pastes into the README as is). */

export function sizeLabel(n) {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** Three significant figures at most, thousands grouped. */
export function num(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const ratio = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}×`);

function markdown(head, align, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const pad = (s, i) => (align[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const dashes = (w, i) =>
    align[i] === 'r'
      ? `${'-'.repeat(w - 1)}:`
      : align[i] === 'c'
        ? `:${'-'.repeat(w - 2)}:`
        : '-'.repeat(w);
  return [line(head), `| ${widths.map(dashes).join(' | ')} |`, ...body.map(line)];
}

const sizeCell = (rows, i) =>
  i > 0 && rows[i - 1].size === rows[i].size ? '' : sizeLabel(rows[i].size);
const spread = (a, b) => `±${Math.round(50 * Math.max(a.relIqr, b.relIqr))}%`;

/**
 * `rows`: `{ size, label, signed, isReference, seal: {opsPerSec, mbPerSec, relIqr},
 * open: {...}, ratio: {seal, open} }`, in table order.
 */
export function resultsTable(rows, referenceLabel) {
  const head = [
    'Size',
    'Implementation',
    'Signed',
    'Seal op/s',
    'Open op/s',
    'Seal MB/s',
    'Open MB/s',
    'BW÷row seal',
    'BW÷row open',
    'Spread',
  ];
  const align = ['l', 'l', 'c', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  const body = rows.map((r, i) => [
    sizeCell(rows, i),
    r.isReference ? `**${r.label}**` : r.label,
    r.signed ? 'yes' : 'no',
    num(r.seal.opsPerSec),
    num(r.open.opsPerSec),
    num(r.seal.mbPerSec),
    num(r.open.mbPerSec),
    r.isReference ? 'ref' : ratio(r.ratio.seal),
    r.isReference ? 'ref' : ratio(r.ratio.open),
    spread(r.seal, r.open),
  ]);
  const out = markdown(head, align, body);
  return [
    ...out,
    '',
    `BW÷row = ${referenceLabel ?? 'Blindwire'} rate ÷ that row's rate at the same size (>1: Blindwire is faster).`,
    'MB/s = payload bytes (10^6) per second. Spread = half the interquartile range of the per-round rates,',
    'as a share of the median (the larger of seal and open).',
  ].join('\n');
}

/** The same cells as rates per second of process CPU time (`row.cpu`). */
export function cpuTable(rows) {
  const head = [
    'Size',
    'Implementation',
    'Seal op/s CPU',
    'Open op/s CPU',
    'BW÷row seal',
    'BW÷row open',
    'Spread',
  ];
  const align = ['l', 'l', 'r', 'r', 'r', 'r', 'r'];
  const body = rows.map((r, i) => [
    sizeCell(rows, i),
    r.isReference ? `**${r.label}**` : r.label,
    num(r.cpu.seal.opsPerSec),
    num(r.cpu.open.opsPerSec),
    r.isReference ? 'ref' : ratio(r.cpu.ratio.seal),
    r.isReference ? 'ref' : ratio(r.cpu.ratio.open),
    spread(r.cpu.seal, r.cpu.open),
  ]);
  return markdown(head, align, body).join('\n');
}
