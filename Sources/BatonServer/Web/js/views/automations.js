// Automations: each one's trigger and actions in words, whether it is paused, when it last fired;
// pause/resume and remove on the row, a form that makes one. The page re-reads the list when the
// server's live `automations` event says something fired or was delivered.
import { api, enc, showError, clearError } from '../api.js';
import { h, fill } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from '../components/table.js';
import { confirmRemove } from '../components/confirm-remove.js';
import { automationForm } from '../components/automation-form.js';

export const automationHref = (name) => `#/automations/${enc(name)}`;

/** "active" or "paused", as deployments show it. */
export function statusBadge(a) {
  return a.paused ? h('span', { class: 'badge state-paused' }, 'paused') : h('span', { class: 'badge state-active' }, 'active');
}

/** Pause or Resume; `onChange(automation)` gets the automation as the server now has it. */
export function pauseButton(a, onChange) {
  const action = a.paused ? 'resume' : 'pause';
  const button = h('button', { type: 'button', 'data-action': action }, a.paused ? 'Resume' : 'Pause');
  button.addEventListener('click', async () => {
    clearError();
    button.disabled = true;
    try {
      onChange(await api.post(`/automations/${enc(a.name)}/${action}`, {}));
    } catch (error) {
      showError(error, `Could not ${action} ${a.name}`);
      button.disabled = false;
    }
  });
  return button;
}

/** The actions in words, one a line. */
export function actionList(a) {
  return h('ol', { class: 'plain' }, (a.actionSummaries || []).map((text) => h('li', null, text)));
}

export async function automationsView(root, ctx) {
  const [data, channels, flows, deps] = await Promise.all([
    api.get('/automations'),
    api.get('/channels').catch(() => ({ channels: [] })),
    api.get('/flows').catch(() => ({ flows: [] })),
    api.get('/deployments').catch(() => ({ deployments: [] })),
  ]);
  if (!ctx.alive) return;
  const automations = new Map((data.automations || []).map((a) => [a.name, a]));
  const names = (list) => list.map((x) => x.name).sort();

  const heading = h('h2');
  const holder = h('div');
  let table;
  const remove = async (a) => {
    clearError();
    try {
      await api.del(`/automations/${enc(a.name)}`);
      automations.delete(a.name);
    } catch (error) {
      showError(error, `Could not remove ${a.name}`);
    }
    if (ctx.alive) render();
  };
  const changed = (a) => {
    automations.set(a.name, a);
    if (ctx.alive) render();
  };

  const columns = [
    { label: 'Name', cell: (a) => h('a', { href: automationHref(a.name) }, a.name) },
    { label: 'When', cell: (a) => a.triggerSummary },
    { label: 'Then', cell: actionList },
    { label: 'Status', cell: statusBadge },
    { label: 'Last fired', cell: (a) => (a.lastFiredAt ? timeEl(a.lastFiredAt) : h('span', { class: 'muted' }, 'never')) },
    { label: 'Actions', class: 'actions-cell', cell: (a) => confirmRemove(a.name, () => remove(a), () => pauseButton(a, changed)) },
  ];

  function render() {
    const list = [...automations.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(heading, `${list.length} automation${list.length === 1 ? '' : 's'}`);
    table = dataTable({
      columns, rows: list, caption: 'Automations',
      rowAttrs: (a) => ({ 'data-automation': a.name, 'data-paused': String(!!a.paused) }),
      emptyText: 'No automations in this project yet.',
    });
    fill(holder, table.el);
  }

  const form = automationForm(
    { channels: names(channels.channels || []), flows: names(flows.flows || []), deployments: names(deps.deployments || []) },
    async (body) => {
      const created = await api.post('/automations', body);
      changed(created);
      return ['Created automation ', h('a', { href: automationHref(created.name) }, created.name), '.'];
    });

  render();
  root.append(h('h1', null, 'Automations'),
    h('p', { class: 'lede' }, 'When something happens (a run enters a state, an expected run does not come, a worker goes away, a success rate drops), do something: notify a ',
      h('a', { href: '#/channels' }, 'channel'), ', call a URL, run or pause a deployment, cancel the run. Each firing and each delivery is recorded on the automation\'s page.'),
    h('section', { class: 'panel' }, heading, holder),
    h('section', { class: 'panel' }, h('h2', null, 'Create an automation'), form.el));
  ctx.ready();

  const reload = ctx.debounce(async () => {
    const fresh = await api.get('/automations').catch(() => null);
    if (!fresh || !ctx.alive) return;
    const list = fresh.automations || [];
    // Rows that changed are redrawn alone, so a row asking "Remove …?" keeps asking.
    if (list.length !== automations.size || list.some((a) => !automations.has(a.name))) {
      automations.clear();
      for (const a of list) automations.set(a.name, a);
      render();
      return;
    }
    for (const a of list) {
      if (JSON.stringify(a) === JSON.stringify(automations.get(a.name))) continue;
      automations.set(a.name, a);
      table.replace(a, `tr[data-automation="${CSS.escape(a.name)}"]`);
    }
  }, 1000);
  ctx.on('automations', reload);
  ctx.on('resync', reload);
}
