// A page of a project's named values (secrets or variables): a table of them, a form that sets one,
// and a remove button that asks first. A secret's value leaves the page in its PUT and nowhere else:
// the field is emptied as it is sent, and nothing the API returns carries it.
import { api, enc, showError, clearError, ApiError } from '../api.js';
import { h, fill } from '../dom.js';
import { timeEl } from '../format.js';
import { dataTable } from './table.js';
import { confirmRemove } from './confirm-remove.js';

// The names the server takes (DeploymentNames.validate), checked before a name goes into a URL.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const nameProblem = (kind, name) => (NAME.test(name) ? null
  : `${kind} name '${name}' is not valid: use 1 to 100 letters, digits, '-', '_' and '.', not starting with '-' or '.'`);

/**
 * Draws the page into `root`. `kind` is "secret" or "variable" (the API's `/api/<kind>s`); `about`
 * is what the lede says (nodes or text). Only a variable's value is shown, and only a variable is edited.
 */
export async function namedValuesPage(root, ctx, { kind, title, about }) {
  const plural = `${kind}s`;
  const data = await api.get(`/${plural}`);
  if (!ctx.alive) return;
  const values = new Map((data[plural] || []).map((v) => [v.name, v]));
  const showsValue = kind === 'variable';

  const heading = h('h2');
  const holder = h('div');
  const form = valueForm(kind, showsValue, async (name, value) => {
    const set = await api.put(`/${plural}/${enc(name)}`, { value });
    values.set(set.name, set);
    if (ctx.alive) render();
  });

  const remove = async (v) => {
    clearError();
    try {
      await api.del(`/${plural}/${enc(v.name)}`);
      values.delete(v.name);
    } catch (error) {
      showError(error, `Could not remove ${v.name}`);
    }
    if (ctx.alive) render();
  };

  const columns = [
    { label: 'Name', cell: (v) => h('code', null, v.name) },
    showsValue ? { label: 'Value', cell: (v) => h('span', { class: 'value' }, v.value ?? '') } : null,
    { label: 'Set by', cell: (v) => v.setBy || h('span', { class: 'muted' }, '—') },
    { label: 'When', cell: (v) => timeEl(v.setAt) },
    { label: 'Actions', class: 'actions-cell', cell: (v) => confirmRemove(v.name, () => remove(v),
        () => (showsValue ? h('button', { type: 'button', 'data-action': 'edit', onclick: () => form.edit(v) }, 'Edit') : null)) },
  ].filter(Boolean);

  function render() {
    const list = [...values.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(heading, `${list.length} ${kind}${list.length === 1 ? '' : 's'}`);
    fill(holder, dataTable({
      columns, rows: list, caption: title,
      rowAttrs: (v) => ({ 'data-name': v.name }),
      emptyText: `No ${plural} in this project yet.`,
    }).el);
  }

  render();
  root.append(h('h1', null, title), h('p', { class: 'lede' }, about),
    h('section', { class: 'panel' }, h('h2', null, `Set a ${kind}`), form.el),
    h('section', { class: 'panel' }, heading, holder));
  ctx.ready();
}

/**
 * The form that sets a value: a name and, for a secret, a password field emptied as it is sent. The
 * server's refusal (a bad name, an empty value, a role that may not) shows in one line under it.
 * Returns {el, edit(v)}; `send(name, value)` throws what the API says.
 */
function valueForm(kind, showsValue, send) {
  const name = h('input', { name: 'name', required: true, maxlength: 100, autocomplete: 'off', spellcheck: 'false',
    placeholder: showsValue ? 'region' : 'api-token' });
  const value = showsValue
    ? h('textarea', { name: 'value', rows: 1, spellcheck: 'false', required: true })
    : h('input', { name: 'value', type: 'password', autocomplete: 'new-password', spellcheck: 'false', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, `Set ${kind}`);
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const status = h('p', { class: 'form-status muted', role: 'status' });
  const form = h('form', { class: 'value-form', 'data-form': `${kind}-set`, novalidate: true },
    h('label', null, 'Name', name),
    h('label', null, 'Value', value),
    submit);

  const fail = (text) => {
    message.textContent = text;
    message.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    status.textContent = '';
    const key = name.value.trim();
    const text = value.value;
    // A secret is sent once and not kept: whatever the answer, the field is empty again.
    if (!showsValue) value.value = '';
    const badName = nameProblem(kind, key);
    if (badName || text === '') {
      fail(badName || `${kind} '${key}' is empty: expected a value of 1 byte or more`);
      (badName ? name : value).focus();
      return;
    }
    submit.disabled = true;
    try {
      await send(key, text);
      name.value = '';
      value.value = '';
      status.textContent = `Set ${kind} ${key}.`;
      name.focus();
    } catch (error) {
      fail(error instanceof ApiError ? error.message : String(error));
      (error.field === 'value' ? value : name).focus();
    } finally {
      submit.disabled = false;
    }
  });

  return {
    el: h('div', null, form, message, status),
    /** Fills the form with a variable to change its value. */
    edit(v) {
      name.value = v.name;
      value.value = v.value ?? '';
      message.hidden = true;
      status.textContent = '';
      value.focus();
    },
  };
}
