/** Order statistics over the per-round rates. */

export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** Summary of one cell: the median rate and its spread (IQR / median). */
export function summarise(rates) {
  const med = median(rates);
  return {
    median: med,
    min: Math.min(...rates),
    max: Math.max(...rates),
    relIqr: (quantile(rates, 0.75) - quantile(rates, 0.25)) / med,
    rounds: rates,
  };
}
