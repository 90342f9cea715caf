// Stacked bars per hour for the dashboard, in inline SVG.
import { s, h } from '../dom.js';
import { STATE_TYPES, parseDate } from '../format.js';

const W = 720, H = 160, PAD_L = 32, PAD_B = 22, PAD_T = 8;

/** hourly: [{hour, counts: {stateType: n}}] -> <figure> with an SVG chart and a legend. */
export function hourlyChart(hourly) {
  const buckets = hourly || [];
  const totals = buckets.map((b) => Object.values(b.counts || {}).reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...totals);
  const plotH = H - PAD_B - PAD_T;
  const slot = (W - PAD_L) / Math.max(1, buckets.length);
  const barW = Math.max(2, slot * 0.7);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Runs per hour over the last ${buckets.length} hours, at most ${max} in an hour` });

  for (const frac of [0, 0.5, 1]) {
    const y = PAD_T + plotH * (1 - frac);
    svg.append(s('line', { class: 'grid', x1: PAD_L, x2: W, y1: y, y2: y }),
      s('text', { class: 'axis', x: PAD_L - 4, y: y + 4, 'text-anchor': 'end' }, String(Math.round(max * frac))));
  }

  buckets.forEach((bucket, i) => {
    const x = PAD_L + i * slot + (slot - barW) / 2;
    let y = PAD_T + plotH;
    const hour = parseDate(bucket.hour);
    const hourLabel = hour ? `${String(hour.getHours()).padStart(2, '0')}:00` : '';
    const g = s('g', { class: 'bar' });
    const parts = [];
    for (const type of STATE_TYPES) {
      const n = bucket.counts?.[type] || 0;
      if (!n) continue;
      const barH = (n / max) * plotH;
      y -= barH;
      g.append(s('rect', { class: `state-${type}`, x, y, width: barW, height: Math.max(barH, 0.5) }));
      parts.push(`${n} ${type}`);
    }
    g.prepend(s('title', null, `${hourLabel}: ${parts.join(', ') || 'no runs'}`));
    // A full-height transparent target so empty hours still show their tooltip.
    g.append(s('rect', { class: 'hit', x: PAD_L + i * slot, y: PAD_T, width: slot, height: plotH }));
    svg.append(g);
    if (i % 3 === 0) svg.append(s('text', { class: 'axis', x: x + barW / 2, y: H - 6, 'text-anchor': 'middle' }, hourLabel));
  });

  const present = STATE_TYPES.filter((t) => buckets.some((b) => b.counts?.[t]));
  const legend = h('ul', { class: 'legend' },
    present.map((t) => h('li', null, h('span', { class: `swatch state-${t}` }), t)));
  return h('figure', { class: 'chart-figure' }, svg, legend);
}
