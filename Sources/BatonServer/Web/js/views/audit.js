// The audit log (server admins): who did or tried what, newest first, filtered by actor and project.
import { api, queryString } from '../api.js';
import { h } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from '../components/table.js';
import { navigate, buildHash } from '../router.js';

const columns = [
  { label: 'Time', cell: (e) => timeEl(e.at) },
  { label: 'Actor', cell: (e) => e.actor || h('span', { class: 'muted' }, 'nobody') },
  { label: 'Project', cell: (e) => e.project || '' },
  { label: 'Action', cell: (e) => h('code', null, e.action) },
  { label: 'Target', cell: (e) => e.target || '' },
  { label: 'Address', cell: (e) => e.address || h('span', { class: 'muted' }, 'this machine') },
  { label: 'Result', cell: (e) => h('span', { class: e.result === 'ok' ? 'muted' : 'audit-refused' }, e.result) },
];

export async function auditView(root, ctx) {
  const { actor = '', project = '' } = ctx.query;
  // The audit log is the server's, filtered by its own project field (any, unless one is given),
  // not by the project the switcher chose.
  const { entries } = await api.get(`/audit${queryString({ actor, project, limit: 500 })}`, { scoped: false });
  const actorInput = h('input', { name: 'actor', value: actor, placeholder: 'user, or key NAME' });
  const projectInput = h('input', { name: 'project', value: project, placeholder: 'any' });
  const filters = h('form', { class: 'filters', 'data-form': 'audit-filters' },
    h('label', null, 'Actor ', actorInput),
    h('label', null, 'Project ', projectInput),
    h('button', { type: 'submit' }, 'Filter'));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(buildHash('/audit', { actor: actorInput.value.trim(), project: projectInput.value.trim() }));
  });
  const table = dataTable({
    columns, rows: entries, rowAttrs: (e) => ({ 'data-audit': e.id, 'data-result': e.result }), caption: 'Audit log',
    emptyText: 'No rows match.',
  });
  root.append(h('h1', null, 'Audit log'), filters, h('section', { class: 'panel' }, table.el));
  ctx.ready();
}
