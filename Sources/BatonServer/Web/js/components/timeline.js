// A run's state history as a horizontal bar: each state spans until the next one began.
import { h } from '../dom.js';
import { FINAL_STATES, parseDate, clockTime, fullDate, duration } from '../format.js';

/** states: [{type, name, message?, timestamp}] oldest first. */
export function stateTimeline(states) {
  const list = (states || []).filter((st) => parseDate(st.timestamp));
  if (!list.length) return h('p', { class: 'empty', id: 'timeline' }, 'No state changes recorded yet.');
  const times = list.map((st) => parseDate(st.timestamp).getTime());
  const last = list[list.length - 1];
  const open = !FINAL_STATES.has(last.type);
  const end = open ? Math.max(Date.now(), times[times.length - 1]) : times[times.length - 1];
  const span = Math.max(1, end - times[0]);

  const segments = list.map((st, i) => {
    const from = times[i];
    const to = i + 1 < list.length ? times[i + 1] : end;
    const ms = to - from;
    const isLast = i === list.length - 1;
    // Give every state some room so quick transitions stay readable; a final state is a short cap.
    const grow = isLast && !open ? 0.04 : Math.max(ms / span, 0.06);
    const seg = h('div', {
      class: `seg state-${st.type}${st.name === 'Late' ? ' state-late' : ''}${isLast && open ? ' current' : ''}`,
      title: `${st.name || st.type} at ${fullDate(st.timestamp)}${ms && !(isLast && !open) ? ` for ${duration(ms / 1000)}` : ''}${st.message ? ` — ${st.message}` : ''}`,
    },
    h('span', { class: 'seg-bar' }),
    h('span', { class: 'seg-label' }, st.name || st.type),
    h('span', { class: 'seg-time' }, clockTime(st.timestamp).slice(0, 8)));
    seg.style.flexGrow = String(grow);
    return seg;
  });
  const messages = list.filter((st) => st.message).map((st) =>
    h('li', null, h('span', { class: `badge state-${st.type}` }, st.name || st.type), ' ', st.message));
  return h('div', { id: 'timeline' },
    h('div', { class: 'timeline', role: 'list', 'aria-label': 'State history' }, segments.map((seg) => { seg.setAttribute('role', 'listitem'); return seg; })),
    messages.length ? h('ul', { class: 'state-messages' }, messages) : null);
}
