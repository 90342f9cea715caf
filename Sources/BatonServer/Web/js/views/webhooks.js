// Webhooks: URLs that start a run of a deployment when something posts JSON to them, with
// parameters taken from the payload by paths. A new webhook's token is shown once, on this page,
// and kept nowhere in the browser.
import { api, enc, showError, clearError } from '../api.js';
import { h, fill } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from '../components/table.js';
import { confirmRemove } from '../components/confirm-remove.js';
import { createForm, FormProblem, labelled, choice } from '../components/create-form.js';

export async function webhooksView(root, ctx) {
  const [data, deps] = await Promise.all([api.get('/webhooks'), api.get('/deployments').catch(() => ({ deployments: [] }))]);
  if (!ctx.alive) return;
  const webhooks = new Map((data.webhooks || []).map((w) => [w.name, w]));
  const deployments = [...(deps.deployments || [])].sort((a, b) => a.name.localeCompare(b.name));

  const heading = h('h2');
  const holder = h('div');
  const created = h('section', { class: 'panel token-panel', id: 'webhook-token', hidden: true });
  const remove = async (w) => {
    clearError();
    try {
      await api.del(`/webhooks/${enc(w.name)}`);
      webhooks.delete(w.name);
    } catch (error) {
      showError(error, `Could not remove ${w.name}`);
    }
    if (ctx.alive) render();
  };

  const columns = [
    { label: 'Name', cell: (w) => h('code', null, w.name) },
    { label: 'Deployment', cell: (w) => h('a', { href: '#/deployments' }, w.deployment) },
    { label: 'Parameters', cell: (w) => mappingList(w.mapping) },
    { label: 'URL', cell: (w) => h('code', { class: 'value' }, location.origin + w.path) },
    { label: 'Created', cell: (w) => h('span', null, w.createdBy || '', w.createdBy ? ' ' : '', timeEl(w.createdAt)) },
    { label: 'Actions', class: 'actions-cell', cell: (w) => confirmRemove(w.name, () => remove(w)) },
  ];

  function render() {
    const list = [...webhooks.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(heading, `${list.length} webhook${list.length === 1 ? '' : 's'}`);
    fill(holder, dataTable({
      columns, rows: list, caption: 'Webhooks',
      rowAttrs: (w) => ({ 'data-webhook': w.name }),
      emptyText: 'No webhooks in this project yet.',
    }).el);
  }

  const form = webhookForm(deployments, async (body) => {
    const answer = await api.post('/webhooks', body);
    webhooks.set(answer.webhook.name, answer.webhook);
    if (!ctx.alive) return '';
    render();
    showToken(created, answer.webhook, answer.token);
    return `Created webhook ${answer.webhook.name}.`;
  });

  render();
  root.append(h('h1', null, 'Webhooks'),
    h('p', { class: 'lede' },
      'A POST of JSON to a webhook\'s URL starts a run of its deployment, each mapped parameter taken from the payload by a path such as ',
      h('code', null, '$.pull_request.number'), '. A caller sends the webhook\'s token as ', h('code', null, 'Authorization: Bearer …'),
      ', or signs the body with it (', h('code', null, 'X-Baton-Signature: sha256=HEX'), ', an HMAC-SHA256, as GitHub signs).'),
    created,
    h('section', { class: 'panel' }, h('h2', null, 'Create a webhook'), form.el),
    h('section', { class: 'panel' }, heading, holder));
  ctx.ready();
}

/** "param ← $.path", one a line. */
function mappingList(mapping) {
  const entries = Object.entries(mapping || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return h('span', { class: 'muted' }, 'the deployment\'s own');
  return h('ul', { class: 'plain' }, entries.map(([param, path]) => h('li', null, h('code', null, param), ' ← ', h('code', null, path))));
}

/** The token of a webhook just made, its URL and a request that uses them; gone once the page is left. */
function showToken(panel, webhook, token) {
  const url = location.origin + webhook.path;
  fill(panel,
    h('h2', null, `Webhook ${webhook.name} created`),
    h('p', null, h('strong', null, 'Copy its token now: it will not be shown again.'), ' Baton keeps it sealed and cannot show it later; to get a new one, remove the webhook and create it again.'),
    h('dl', { class: 'facts' },
      h('div', null, h('dt', null, 'Token'), h('dd', null, h('code', { class: 'token', 'data-token': '' }, token))),
      h('div', null, h('dt', null, 'URL'), h('dd', null, h('code', { class: 'url' }, url)))),
    h('pre', { class: 'code' }, `curl -X POST -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\\n  -d '{}' ${url}`),
    h('button', { type: 'button', 'data-action': 'dismiss-token', onclick: () => { panel.hidden = true; panel.replaceChildren(); } }, 'Done'));
  panel.hidden = false;
  panel.scrollIntoView?.({ block: 'nearest' });
}

/**
 * The form: a name, the deployment (of the project's), and rows that map a parameter to a path in
 * the payload. The deployment's parameters are offered as the rows' names.
 */
function webhookForm(deployments, send) {
  const name = h('input', { name: 'name', maxlength: 100, autocomplete: 'off', spellcheck: 'false', placeholder: 'on-push' });
  const deployment = choice({ name: 'deployment' }, deployments.map((d) => [d.name, `${d.name} (${d.flow})`]),
    deployments.length ? null : 'no deployments in this project');
  const params = h('datalist', { id: 'webhook-params' });
  const rows = h('div', { class: 'mapping-rows' });

  const addRow = () => {
    const row = h('div', { class: 'row mapping-row' },
      labelled('Parameter', h('input', { name: 'map-param', list: 'webhook-params', autocomplete: 'off', spellcheck: 'false' })),
      labelled('Path in the payload', h('input', { name: 'map-path', autocomplete: 'off', spellcheck: 'false', placeholder: '$.ref' })),
      h('button', { type: 'button', class: 'link', 'aria-label': 'Remove this parameter', onclick: () => row.remove() }, '×'));
    rows.append(row);
    return row;
  };
  addRow();

  // The deployment's flow version's parameters, for the rows' names.
  const suggest = async () => {
    fill(params);
    const d = deployments.find((x) => x.name === deployment.value);
    if (!d) return;
    try {
      const number = d.version === 'latest' || d.version == null ? (await api.get(`/flows/${enc(d.flow)}`)).latestVersion : d.version;
      const version = await api.get(`/flows/${enc(d.flow)}/versions/${enc(number)}`);
      fill(params, Object.keys(version.parameters?.properties || {}).sort().map((p) => h('option', { value: p })));
    } catch { /* names are a convenience: the server checks them */ }
  };
  deployment.addEventListener('change', suggest);
  suggest();

  const read = () => {
    const body = { name: name.value.trim(), deployment: deployment.value, mapping: {} };
    if (!body.name) throw new FormProblem('A webhook needs a name.', name);
    if (!body.deployment) throw new FormProblem('A webhook runs a deployment: create one first (baton deployment create).', deployment);
    for (const row of rows.querySelectorAll('.mapping-row')) {
      const param = row.querySelector('[name="map-param"]');
      const path = row.querySelector('[name="map-path"]');
      if (!param.value.trim() && !path.value.trim()) continue;
      if (!param.value.trim()) throw new FormProblem(`Path '${path.value.trim()}' needs the parameter it sets.`, param);
      if (!path.value.trim().startsWith('$')) throw new FormProblem(`Parameter '${param.value.trim()}' needs a path that starts with $, such as $.ref.`, path);
      body.mapping[param.value.trim()] = path.value.trim();
    }
    return body;
  };

  return createForm('webhook-create', {
    fields: [
      h('div', { class: 'row' }, labelled('Name', name), labelled('Deployment', deployment)),
      h('fieldset', null, h('legend', null, 'Parameters from the payload'), rows, params,
        h('button', { type: 'button', 'data-action': 'add-mapping', onclick: () => addRow().querySelector('input').focus() }, 'Add parameter')),
    ],
    submitLabel: 'Create webhook',
    read,
    send: async (body) => {
      const said = await send(body);
      name.value = '';
      rows.replaceChildren();
      addRow();
      return said;
    },
  });
}
