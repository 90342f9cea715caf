// Task runs on a time axis: one row per started task run, bar from start to end (or now).
import { h, s } from '../dom.js';
import { parseDate, clockTime, duration } from '../format.js';

const MAX_ROWS = 500, ROW_H = 20, LABEL_W = 190, CHART_W = 760, AXIS_H = 22, PAD = 8;

export function gantt(taskRuns) {
  const started = (taskRuns || [])
    .filter((t) => parseDate(t.startTime))
    .sort((a, b) => parseDate(a.startTime) - parseDate(b.startTime));
  const waiting = (taskRuns || []).length - started.length;
  const rows = started.slice(0, MAX_ROWS);
  if (!rows.length) {
    return h('div', { class: 'gantt-wrap' }, s('svg', { id: 'gantt', class: 'gantt', width: 0, height: 0 }),
      h('p', { class: 'empty' }, waiting ? `${waiting} task run${waiting === 1 ? '' : 's'} not started yet.` : 'No task runs yet.'));
  }
  const now = Date.now();
  const start = Math.min(...rows.map((t) => parseDate(t.startTime).getTime()));
  const ends = rows.map((t) => (parseDate(t.endTime) || new Date(now)).getTime());
  const axis = axisFor(Math.max(...ends) - start);
  const end = start + axis.span;
  const scale = (ms) => LABEL_W + ((ms - start) / (end - start)) * CHART_W;
  const width = LABEL_W + CHART_W + PAD * 2;
  const height = AXIS_H + rows.length * ROW_H + PAD;

  const svg = s('svg', { id: 'gantt', class: 'gantt', width, height, viewBox: `0 0 ${width} ${height}`, 'data-axis-ms': axis.span,
    role: 'img', 'aria-label': `Timing of ${rows.length} task runs over ${duration((Math.max(...ends) - start) / 1000)}` });

  for (let i = 0; i <= axis.ticks; i++) {
    const t = start + axis.step * i;
    const x = scale(t);
    svg.append(s('line', { class: 'grid', x1: x, x2: x, y1: AXIS_H - 4, y2: height - PAD }),
      s('text', { class: 'axis', x, y: AXIS_H - 8, 'text-anchor': i === 0 ? 'start' : i === axis.ticks ? 'end' : 'middle' },
        i === 0 ? clockTime(new Date(t).toISOString()).slice(0, 8) : `+${duration((t - start) / 1000)}`));
  }

  rows.forEach((t, i) => {
    const y = AXIS_H + i * ROW_H;
    const x1 = scale(parseDate(t.startTime).getTime());
    const x2 = scale(ends[i]);
    const secs = (ends[i] - parseDate(t.startTime).getTime()) / 1000;
    const name = t.name || t.taskName || t.id;
    svg.append(s('g', { class: 'row', 'data-task-run-id': t.id, 'data-state': t.state },
      s('title', null, `${name}: ${t.stateName || t.state}, ${duration(secs)}${t.endTime ? '' : ' so far'}`),
      s('text', { class: 'row-label', x: LABEL_W - 8, y: y + ROW_H / 2 + 4, 'text-anchor': 'end' },
        name.length > 26 ? `${name.slice(0, 25)}…` : name),
      s('rect', { class: `bar state-${t.state}`, x: x1, y: y + 3, width: Math.max(2, x2 - x1), height: ROW_H - 6, rx: 2 })));
  });

  return h('div', { class: 'gantt-wrap' },
    started.length > MAX_ROWS ? h('p', { class: 'note' }, `Showing the first ${MAX_ROWS} of ${started.length} started task runs.`) : null,
    h('div', { class: 'scroll' }, svg),
    waiting ? h('p', { class: 'muted small' }, `${waiting} task run${waiting === 1 ? '' : 's'} not started yet.`) : null);
}

const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE;
/** Tick steps past a second that read as clock units. */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30].map((n) => n * SECOND)
  .concat([1, 2, 5, 10, 15, 30].map((n) => n * MINUTE), [1, 2, 3, 6, 12, 24].map((n) => n * HOUR));

/**
 * An axis that fits `ms` of task runs: about five ticks of 1, 2 or 5 × 10^k ms (clock units past a
 * second), ending at the first tick past the last bar. A 4 ms run gets ticks of 1 ms, not a 1 s axis.
 */
export function axisFor(ms) {
  const spanMs = Math.max(1, ms);
  const rough = spanMs / 5;
  let step;
  if (rough <= SECOND) {
    const magnitude = 10 ** Math.floor(Math.log10(rough));
    step = Math.max(1, [1, 2, 5, 10].map((f) => f * magnitude).find((candidate) => candidate >= rough));
  } else {
    step = CLOCK_STEPS.find((candidate) => candidate >= rough) || Math.ceil(rough / (24 * HOUR)) * 24 * HOUR;
  }
  const ticks = Math.max(1, Math.ceil(spanMs / step - 1e-9));
  return { step, ticks, span: step * ticks };
}
