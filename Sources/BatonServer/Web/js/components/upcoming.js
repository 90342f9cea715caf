// A flow's runs scheduled ahead, soonest first, kept current by the live events.
import { api, enc } from '../api.js';
import { h, fill, section } from '../dom.js';
import { buildHash } from '../router.js';
import { scheduledTable } from './table.js';

const SHOWN = 5;

/** The "Upcoming runs" panel of `flow`; call `load()` once before the page is ready. */
export function upcomingPanel(flow, ctx) {
  const holder = h('div', { id: 'flow-upcoming' });
  const load = async () => {
    const data = await api.get(`/flow-runs?flow=${enc(flow)}&when=upcoming&limit=${SHOWN}`).catch(() => null);
    if (!data || !ctx.alive) return;
    fill(holder, scheduledTable(data.runs || [], { omit: ['flow'], emptyText: 'Nothing is scheduled ahead.' }).el,
      data.nextCursor ? h('p', null, h('a', { href: buildHash('/runs', { flow, when: 'upcoming' }) }, 'All upcoming runs of this flow →')) : null);
  };
  const reload = ctx.debounce(load, 500);
  ctx.on('flow_run', (r) => { if (r.flow === flow) reload(); });
  ctx.on('resync', reload);
  return { el: section('Upcoming runs', holder), load };
}
