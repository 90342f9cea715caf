// Channels: where automations send what happened (a webhook or email), the secrets each reads by
// name, a form that makes one, and a "Send test" button that shows on the row how the test went.
import { api, enc, showError, clearError } from '../api.js';
import { h, fill } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from '../components/table.js';
import { confirmRemove } from '../components/confirm-remove.js';
import { createForm, FormProblem, HTTP_URL, labelled, checkbox, choice } from '../components/create-form.js';

export async function channelsView(root, ctx) {
  const data = await api.get('/channels');
  if (!ctx.alive) return;
  const channels = new Map((data.channels || []).map((c) => [c.name, c]));

  const heading = h('h2');
  const holder = h('div');
  const remove = async (c) => {
    clearError();
    try {
      await api.del(`/channels/${enc(c.name)}`);
      channels.delete(c.name);
    } catch (error) {
      showError(error, `Could not remove ${c.name}`);
    }
    if (ctx.alive) render();
  };

  const columns = [
    { label: 'Name', cell: (c) => h('code', null, c.name) },
    { label: 'Kind', cell: (c) => c.kind },
    { label: 'Sends to', cell: sendsTo },
    { label: 'Secrets it reads', cell: (c) => (c.secrets?.length
      ? c.secrets.map((s, i) => [i ? ', ' : '', h('a', { href: '#/secrets' }, h('code', null, s))])
      : h('span', { class: 'muted' }, 'none')) },
    { label: 'Created', cell: (c) => h('span', null, c.createdBy || '', c.createdBy ? ' ' : '', timeEl(c.createdAt)) },
    { label: 'Actions', class: 'actions-cell', cell: (c) => actions(c, () => remove(c)) },
  ];

  function render() {
    const list = [...channels.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(heading, `${list.length} channel${list.length === 1 ? '' : 's'}`);
    fill(holder, dataTable({
      columns, rows: list, caption: 'Channels',
      rowAttrs: (c) => ({ 'data-channel': c.name, 'data-kind': c.kind }),
      emptyText: 'No channels in this project yet.',
    }).el);
  }

  const form = channelForm(async (body) => {
    const created = await api.post('/channels', body);
    channels.set(created.name, created);
    if (ctx.alive) render();
    return `Created channel ${created.name}.`;
  });

  render();
  root.append(h('h1', null, 'Channels'),
    h('p', { class: 'lede' }, 'Where ', h('a', { href: '#/automations' }, 'automations'),
      ' send what happened: a webhook (JSON, or the body Slack\'s incoming webhooks take) or email. A URL with a token in it and an SMTP password are kept in ',
      h('a', { href: '#/secrets' }, 'Secrets'), ' and named here, read only when a message is sent.'),
    h('section', { class: 'panel' }, h('h2', null, 'Create a channel'), form.el),
    h('section', { class: 'panel' }, heading, holder));
  ctx.ready();
}

/** Where a channel sends, as the server words it, with an email's sender and login under it. */
function sendsTo(c) {
  const more = c.kind === 'email'
    ? [c.from ? `from ${c.from}` : null, c.smtpUser ? `as ${c.smtpUser}` : null].filter(Boolean).join(' · ')
    : c.format ? `format ${c.format}` : '';
  return h('div', null, h('span', { class: 'value' }, c.target), more ? h('div', { class: 'muted small' }, more) : null);
}

/** "Send test" and Remove, and under them how the last test went (in one line). */
function actions(c, onRemove) {
  const result = h('p', { class: 'test-result small', role: 'status', hidden: true });
  const test = h('button', { type: 'button', 'data-action': 'test' }, 'Send test');
  test.addEventListener('click', async () => {
    test.disabled = true;
    result.hidden = false;
    result.className = 'test-result small muted';
    result.removeAttribute('data-delivered');
    result.textContent = 'Sending…';
    let answer;
    try {
      answer = await api.post(`/channels/${enc(c.name)}/test`, {});
    } catch (error) {
      answer = { delivered: false, error: error.message };
    } finally {
      test.disabled = false;
    }
    result.dataset.delivered = String(answer.delivered === true);
    result.className = `test-result small ${answer.delivered ? 'ok' : 'form-error'}`;
    result.textContent = answer.delivered ? `Delivered: ${answer.outcome}` : `Not delivered: ${String(answer.error).replace(/\s+/g, ' ')}`;
  });
  return h('div', null, confirmRemove(c.name, onRemove, () => test), result);
}

/** The form that makes a channel: a webhook (URL or the secret holding it, format) or email. */
function channelForm(send) {
  const name = h('input', { name: 'name', maxlength: 100, autocomplete: 'off', spellcheck: 'false', placeholder: 'ops' });
  const kind = choice({ name: 'kind' }, [['webhook', 'webhook'], ['email', 'email']]);
  const url = h('input', { name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://hooks.example.com/…' });
  const urlSecret = h('input', { name: 'urlSecret', autocomplete: 'off', spellcheck: 'false', placeholder: 'slack-url' });
  const format = choice({ name: 'format' }, [['json', 'JSON'], ['slack', 'Slack']]);
  const to = h('input', { name: 'to', autocomplete: 'off', spellcheck: 'false', placeholder: 'ops@example.com, lead@example.com' });
  const from = h('input', { name: 'from', autocomplete: 'off', spellcheck: 'false', placeholder: 'baton@example.com' });
  const smtp = h('input', { name: 'smtp', autocomplete: 'off', spellcheck: 'false', placeholder: 'smtp.example.com:587' });
  const startTLS = checkbox('STARTTLS', { name: 'startTLS', checked: true });
  const smtpUser = h('input', { name: 'smtpUser', autocomplete: 'off', spellcheck: 'false' });
  const passwordSecret = h('input', { name: 'smtpPasswordSecret', autocomplete: 'off', spellcheck: 'false', placeholder: 'smtp-password' });

  const webhookFields = h('div', { class: 'row', 'data-kind': 'webhook' },
    labelled('URL', url), labelled('or the secret holding it', urlSecret), labelled('Format', format));
  const emailFields = h('div', { class: 'row', 'data-kind': 'email', hidden: true },
    labelled('To (comma-separated)', to), labelled('From', from), labelled('SMTP server', smtp, 'host:port'),
    startTLS, labelled('SMTP user', smtpUser, 'optional'), labelled('Password secret', passwordSecret, 'a secret\'s name'));
  kind.addEventListener('change', () => {
    webhookFields.hidden = kind.value !== 'webhook';
    emailFields.hidden = kind.value !== 'email';
  });

  const text = (input) => input.value.trim();
  const read = () => {
    const body = { name: text(name), kind: kind.value };
    if (!body.name) throw new FormProblem('A channel needs a name.', name);
    if (kind.value === 'webhook') {
      if (!text(url) === !text(urlSecret)) throw new FormProblem('A webhook channel needs a URL or the name of the secret holding it (one of them).', url);
      if (text(url) && !HTTP_URL.test(text(url))) throw new FormProblem(`URL '${text(url)}' is not valid: expected an http:// or https:// URL.`, url);
      if (text(url)) body.url = text(url);
      else body.urlSecret = text(urlSecret);
      body.format = format.value;
      return body;
    }
    body.to = text(to).split(',').map((a) => a.trim()).filter(Boolean);
    if (!body.to.length) throw new FormProblem('An email channel needs one or more addresses to send to.', to);
    if (!text(from)) throw new FormProblem('An email channel needs an address to send from.', from);
    body.from = text(from);
    const server = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text(smtp));
    if (!server) throw new FormProblem(`SMTP server '${text(smtp)}' is not valid: expected host:port, such as smtp.example.com:587.`, smtp);
    body.smtpHost = server[1];
    body.smtpPort = Number(server[2]);
    body.startTLS = startTLS.querySelector('input').checked;
    if (text(smtpUser)) body.smtpUser = text(smtpUser);
    if (text(passwordSecret)) body.smtpPasswordSecret = text(passwordSecret);
    return body;
  };

  const form = createForm('channel-create', {
    fields: [h('div', { class: 'row' }, labelled('Name', name), labelled('Kind', kind)), webhookFields, emailFields],
    submitLabel: 'Create channel',
    read,
    send: async (body) => {
      const said = await send(body);
      for (const input of [name, url, urlSecret, to, smtpUser, passwordSecret]) input.value = '';
      return said;
    },
  });
  return form;
}
