// Flows: one row per flow; a row is re-fetched when a version or run of that flow changes.
import { api, enc } from '../api.js';
import { h, flowLink, versionLink, stateBadge } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from '../components/table.js';

const columns = [
  { label: 'Flow', cell: (f) => flowLink(f.name) },
  { label: 'Description', class: 'desc', cell: (f) => f.description || '' },
  { label: 'Latest version', cell: (f) => h('span', null, versionLink(f.name, f.latestVersion),
      h('span', { class: 'muted' }, ` of ${f.versionCount ?? f.latestVersion}`)) },
  { label: 'Last run', cell: (f) => f.lastRunState
      ? h('span', null, stateBadge(f.lastRunState), ' ', timeEl(f.lastRunAt))
      : h('span', { class: 'muted' }, 'never run') },
  { label: 'Next scheduled run', cell: (f) => timeEl(f.nextScheduledRun) },
];

const rowAttrs = (f) => ({ 'data-flow': f.name });

export async function flowsView(root, ctx) {
  const { flows } = await api.get('/flows');
  const sorted = [...flows].sort((a, b) => a.name.localeCompare(b.name));
  const table = dataTable({
    columns, rows: sorted, rowAttrs, caption: 'Flows',
    emptyText: 'No flows registered yet. Register a library with `baton flow register`.',
  });
  root.append(h('h1', null, 'Flows'), h('section', { class: 'panel' }, table.el));
  ctx.ready();

  // One debounced fetch per flow, so a burst of events for one flow costs one request.
  const pending = new Map();
  const refreshFlow = (name) => {
    if (!name) return;
    if (!pending.has(name)) {
      pending.set(name, ctx.debounce(async () => {
        try {
          const summary = await api.get(`/flows/${enc(name)}`);
          if (!ctx.alive) return;
          const selector = `tr[data-flow="${CSS.escape(name)}"]`;
          if (!table.replace(summary, selector)) insertSorted(table, summary);
        } catch { /* the next event or a reload will catch up */ }
      }, 400));
    }
    pending.get(name)();
  };
  ctx.on('version', (v) => refreshFlow(v.flow));
  ctx.on('flow_run', (run) => refreshFlow(run.flow));
  ctx.on('resync', () => { for (const tr of table.tbody.querySelectorAll('tr[data-flow]')) refreshFlow(tr.dataset.flow); });
}

function insertSorted(table, summary) {
  table.append(summary);
  const rows = [...table.tbody.querySelectorAll('tr[data-flow]')];
  rows.sort((a, b) => a.dataset.flow.localeCompare(b.dataset.flow));
  table.tbody.append(...rows);
}
