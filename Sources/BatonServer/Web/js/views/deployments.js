// Deployments: schedules in words and as expressions, next runs, pause/resume and "Run now".
import { api, enc, showError, clearError } from '../api.js';
import { h, flowLink, versionLink, runHref, section } from '../dom.js';
import { timeEl, shortDate } from '../format.js';
import { navigate } from '../router.js';
import { dataTable } from '../components/table.js';

export async function deploymentsView(root, ctx) {
  const flow = ctx.query.flow;
  const data = await api.get(`/deployments${flow ? `?flow=${enc(flow)}` : ''}`);
  const list = [...(data.deployments || [])].sort((a, b) => a.name.localeCompare(b.name));
  const table = deploymentsTable(list, ctx);
  root.append(h('h1', null, 'Deployments', flow ? h('span', { class: 'muted' }, ` of ${flow}`) : null),
    section(`${list.length} deployment${list.length === 1 ? '' : 's'}`, table.el));
  ctx.ready();

  ctx.on('deployment', (d) => {
    if (flow && d.flow !== flow) return;
    if (!table.replace(d, rowSelector(d.name))) table.append(d);
  });
  const reload = ctx.debounce(async () => {
    const fresh = await api.get(`/deployments${flow ? `?flow=${enc(flow)}` : ''}`).catch(() => null);
    if (!fresh || !ctx.alive) return;
    for (const d of fresh.deployments || []) if (!table.replace(d, rowSelector(d.name))) table.append(d);
  });
  ctx.on('resync', reload);
  // Active-run counts move with runs of deployments.
  ctx.on('flow_run', (r) => { if (r.deployment) reload(); });
}

const rowSelector = (name) => `tr[data-deployment="${CSS.escape(name)}"]`;

/** The deployments table with working buttons; used here and on a flow's page. */
export function deploymentsTable(list, ctx, { omit = [] } = {}) {
  let table;
  const act = async (button, d, action) => {
    clearError();
    button.disabled = true;
    try {
      if (action === 'run') {
        const run = await api.post(`/deployments/${enc(d.name)}/run`, {});
        navigate(runHref(run.id));
        return;
      }
      const updated = await api.post(`/deployments/${enc(d.name)}/${action}`, {});
      if (ctx.alive && updated) table.replace(updated, rowSelector(d.name));
    } catch (error) {
      showError(error, `Could not ${action === 'run' ? 'start a run of' : action} ${d.name}`);
      button.disabled = false;
    }
  };

  const columns = [
    { key: 'name', label: 'Deployment', cell: (d) => h('span', null, h('strong', null, d.name),
        d.isDefault ? h('span', { class: 'muted' }, ' (default)') : null) },
    { key: 'flow', label: 'Flow', cell: (d) => flowLink(d.flow) },
    { key: 'version', label: 'Version', cell: (d) => (d.version === 'latest' || d.version == null ? 'latest' : versionLink(d.flow, Number(d.version))) },
    { key: 'schedule', label: 'Schedule', cell: (d) => scheduleCell(d) },
    { key: 'next', label: 'Next runs', cell: (d) => nextRuns(d) },
    { key: 'active', label: 'Active', class: 'num', cell: (d) => `${d.activeRuns ?? 0}${d.maxActive ? ` / ${d.maxActive}` : ''}` },
    { key: 'status', label: 'Status', cell: (d) => d.paused
        ? h('span', { class: 'badge state-paused' }, 'paused')
        : h('span', { class: 'badge state-active' }, 'active') },
    { key: 'actions', label: 'Actions', class: 'actions-cell', cell: (d) => {
      const toggle = h('button', { type: 'button', 'data-action': d.paused ? 'resume' : 'pause' }, d.paused ? 'Resume' : 'Pause');
      toggle.addEventListener('click', () => act(toggle, d, d.paused ? 'resume' : 'pause'));
      const run = h('button', { type: 'button', 'data-action': 'run' }, 'Run now');
      run.addEventListener('click', () => act(run, d, 'run'));
      return h('span', { class: 'buttons' }, toggle, run);
    } },
  ].filter((c) => !omit.includes(c.key));

  table = dataTable({
    columns, rows: list, caption: 'Deployments',
    rowAttrs: (d) => ({ 'data-deployment': d.name, 'data-paused': String(!!d.paused) }),
    emptyText: 'No deployments yet.',
  });
  return table;
}

/** The expression as written: a cron line, an RRULE, or an interval in seconds. */
function expression(schedule) {
  if (schedule.kind === 'cron') return `cron ${schedule.cron}`;
  if (schedule.kind === 'rrule') return `rrule ${schedule.rrule}`;
  return `interval ${schedule.intervalSeconds} s`;
}

function scheduleCell(d) {
  if (!d.schedule) return h('span', { class: 'muted' }, 'no schedule (runs on demand)');
  return h('div', null,
    h('div', null, d.scheduleWords || d.scheduleSummary || ''),
    h('div', { class: 'muted small' }, h('code', null, expression(d.schedule)),
      d.schedule.anchor ? ` · from ${shortDate(d.schedule.anchor)}` : ''));
}

function nextRuns(d) {
  const runs = d.next || [];
  if (!runs.length) return h('span', { class: 'muted' }, d.paused ? 'paused' : '—');
  const [first, ...rest] = runs;
  return h('div', { class: d.paused ? 'muted' : null }, timeEl(first),
    rest.length ? h('div', { class: 'muted small' }, rest.map(shortDate).join(', ')) : null);
}
