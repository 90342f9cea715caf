// Dashboard: the last day at a glance (runs counted by when they ran), what is late, what is
// scheduled ahead, and workers; re-fetched (debounced) when runs or workers change.
import { api } from '../api.js';
import { h, fill, section, stateBadge } from '../dom.js';
import { STATE_TYPES, timeEl } from '../format.js';
import { buildHash } from '../router.js';
import { hourlyChart } from '../components/chart.js';
import { dataTable, runsTable, scheduledTable } from '../components/table.js';

export async function dashboardView(root, ctx) {
  const body = h('div', { class: 'dashboard' });
  root.append(h('h1', null, 'Dashboard'), body);

  const load = async () => {
    const data = await api.get('/dashboard');
    if (ctx.alive) render(body, data);
  };
  await load();
  ctx.ready();

  const refresh = ctx.debounce(() => load().catch(() => {}), 1000);
  ctx.on('flow_run', refresh);
  ctx.on('worker', refresh);
  ctx.on('resync', refresh);
}

function render(body, data) {
  const counts = data.countsByState || {};
  const total = Object.values(counts).reduce((a, n) => a + n, 0);
  const tiles = h('ul', { class: 'tiles' },
    h('li', { class: 'tile', id: 'tile-total' }, h('a', { href: buildHash('/runs', { since: data.since }) },
      h('span', { class: 'tile-n' }, String(total)), h('span', { class: 'tile-label' }, 'runs'))),
    STATE_TYPES.filter((t) => counts[t]).map((t) =>
      h('li', { class: `tile tile-${t}`, 'data-state': t }, h('a', { href: buildHash('/runs', { state: t, since: data.since }) },
        h('span', { class: 'tile-n' }, String(counts[t])), stateBadge(t)))));

  const ahead = data.upcomingCount || 0;
  const upcoming = h('div', { id: 'upcoming' },
    h('p', { class: 'muted' }, h('span', { id: 'upcoming-count' }, String(ahead)), ahead === 1 ? ' run is' : ' runs are', ' scheduled ahead',
      ahead ? h('span', null, ' · ', h('a', { href: buildHash('/runs', { when: 'upcoming' }) }, 'all upcoming runs →')) : null),
    scheduledTable(data.upcomingRuns || [], { emptyText: 'Nothing is scheduled ahead.' }).el);

  fill(body,
    section('Last 24 hours',
      h('p', { class: 'muted' }, 'Runs that started (or were due) since ', timeEl(data.since), '; runs scheduled ahead are counted apart.'),
      tiles, hourlyChart(data.hourly)),
    h('div', { class: 'columns' },
      section('Recent failures', runsTable(data.recentFailures || [], { omit: ['deployment'], emptyText: 'No failures. ' }).el),
      section('Late runs', scheduledTable(data.lateRuns || [], { emptyText: 'Nothing is late.' }).el)),
    section('Upcoming', upcoming),
    section('Workers', workersTable(data.workers || [])));
}

export function workersTable(workers) {
  return dataTable({
    columns: [
      { label: 'Worker', cell: (w) => w.name || w.id },
      { label: 'Pool', cell: (w) => w.pool || '' },
      { label: 'Host', cell: (w) => `${w.host || ''}${w.pid ? ` (pid ${w.pid})` : ''}` },
      { label: 'Active runs', class: 'num', cell: (w) => `${w.activeRuns ?? 0}${w.limit ? ` / ${w.limit}` : ''}` },
      { label: 'Last heartbeat', cell: (w) => timeEl(w.heartbeatAt) },
      { label: 'Health', cell: (w) => w.stoppedAt
        ? h('span', { class: 'badge state-cancelled' }, 'stopped')
        : h('span', { class: `badge ${w.healthy ? 'state-completed' : 'state-crashed'}` }, w.healthy ? 'healthy' : 'unhealthy') },
    ],
    rows: workers,
    rowAttrs: (w) => ({ 'data-worker-id': w.id }),
    emptyText: 'No workers have registered. Start one with `baton worker start`.',
  }).el;
}
