// A run form generated from a version's parameter JSON Schema, with type checks before submit.
import { h } from '../dom.js';

/** {base, nullable} from a property schema; "any" when the schema names no type. */
export function propertyType(prop) {
  const raw = prop?.type;
  const types = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const nullable = types.includes('null') || prop?.nullable === true;
  const base = types.find((t) => t !== 'null') || (Array.isArray(prop?.enum) ? 'string' : 'any');
  return { base, nullable };
}

/** Property names in declaration order ("x-order"), then any the order leaves out. */
export function orderedNames(schema) {
  const props = Object.keys(schema?.properties || {});
  const order = (schema?.['x-order'] || []).filter((n) => props.includes(n));
  return [...order, ...props.filter((n) => !order.includes(n))];
}

function typeHint(prop) {
  const { base, nullable } = propertyType(prop);
  let hint = base === 'any' ? 'JSON' : base;
  if (base === 'array' && prop.items?.type) hint = `array of ${[].concat(prop.items.type).join(' or ')}`;
  return nullable ? `${hint} or null` : hint;
}

function control(name, prop, required) {
  const { base, nullable } = propertyType(prop);
  const id = `param-${name}`;
  const common = { id, name: id, 'data-type': base, 'aria-describedby': `${id}-error ${id}-hint` };
  const has = Object.prototype.hasOwnProperty.call(prop, 'default');
  const def = prop.default;

  if (Array.isArray(prop.enum)) {
    const options = prop.enum.map((v) => h('option', { value: JSON.stringify(v), selected: has && v === def }, String(v)));
    if (nullable || !has) options.unshift(h('option', { value: '', selected: !has || def === null }, nullable ? '(null)' : '—'));
    return h('select', { ...common, 'data-enum': 'true' }, options);
  }
  switch (base) {
    case 'boolean':
      if (nullable) {
        return h('select', common,
          h('option', { value: '', selected: !has || def === null }, '(null)'),
          h('option', { value: 'true', selected: def === true }, 'true'),
          h('option', { value: 'false', selected: def === false }, 'false'));
      }
      return h('input', { ...common, type: 'checkbox', checked: def === true });
    case 'integer':
    case 'number':
      // A text box, not type=number: the browser would silently drop "abc"; we want to say why it is wrong.
      return h('input', { ...common, type: 'text', inputmode: base === 'integer' ? 'numeric' : 'decimal',
        step: base === 'integer' ? '1' : 'any', autocomplete: 'off', value: has && def !== null ? String(def) : '',
        placeholder: nullable ? 'empty for null' : required ? 'required' : '' });
    case 'string':
      return h('input', { ...common, type: 'text', autocomplete: 'off', value: has && def !== null ? String(def) : '',
        placeholder: nullable ? 'empty for null' : '' });
    default:
      return h('textarea', { ...common, spellcheck: 'false', class: 'json',
        rows: Math.min(10, Math.max(3, has && def !== null ? JSON.stringify(def, null, 2).split('\n').length : 3)),
        placeholder: base === 'array' ? '[ ]' : base === 'object' ? '{ }' : 'JSON',
        value: has && def !== null ? JSON.stringify(def, null, 2) : '' });
  }
}

/** Reads one control; returns {value} | {omit: true} | {error}. */
export function readField(el, prop, required) {
  const { base, nullable } = propertyType(prop);
  if (el.type === 'checkbox') return { value: el.checked };
  const raw = el.value;
  if (el.dataset.enum) return raw === '' ? (nullable ? { value: null } : required ? { error: 'Choose a value.' } : { omit: true }) : { value: JSON.parse(raw) };
  if (raw.trim() === '' && !(base === 'string' && !nullable)) {
    if (nullable) return { value: null };
    return required ? { error: 'A value is required.' } : { omit: true };
  }
  switch (base) {
    case 'boolean': return { value: raw === 'true' };
    case 'string': return required && raw === '' ? { error: 'A value is required.' } : { value: raw };
    case 'integer': {
      const t = raw.trim();
      if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) return { error: `Expects an integer, got "${raw}".` };
      return { value: Number(t) };
    }
    case 'number': {
      const n = Number(raw.trim());
      if (!Number.isFinite(n) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim())) return { error: `Expects a number, got "${raw}".` };
      return { value: n };
    }
    default: {
      let value;
      try { value = JSON.parse(raw); } catch (e) { return { error: `Not valid JSON: ${e.message}` }; }
      if (base === 'array' && !Array.isArray(value)) return { error: 'Expects a JSON array, like [1, 2].' };
      if (base === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        return { error: 'Expects a JSON object, like {"key": "value"}.' };
      }
      return { value };
    }
  }
}

/**
 * Builds <form id="run-form">. `onSubmit(parameters)` runs only when every field checks out.
 * Returns {el, showFieldError(field, message) -> bool, clearErrors(), setBusy(bool)}.
 */
export function parameterForm(schema, { submitLabel = 'Run', onSubmit }) {
  const names = orderedNames(schema);
  const required = new Set(schema?.required || []);
  const fields = new Map();

  const rows = names.map((name) => {
    const prop = schema.properties[name] || {};
    const isRequired = required.has(name);
    const input = control(name, prop, isRequired);
    const error = h('p', { class: 'field-error', id: `param-${name}-error`, hidden: true });
    const label = h('label', { for: input.id }, name, isRequired ? h('span', { class: 'req', title: 'required' }, ' *') : null);
    const hint = h('p', { class: 'hint', id: `param-${name}-hint` },
      h('span', { class: 'type' }, typeHint(prop)), prop.description ? ` · ${prop.description}` : '');
    fields.set(name, { input, error, prop, required: isRequired });
    const checkbox = input.type === 'checkbox';
    return h('div', { class: ['field', checkbox && 'field-check'], 'data-param': name },
      checkbox ? h('div', { class: 'check' }, input, label) : [label, input], hint, error);
  });

  const submit = h('button', { type: 'submit', id: 'run-submit', class: 'primary' }, submitLabel);
  const form = h('form', { id: 'run-form', class: 'run-form', novalidate: true },
    names.length ? rows : h('p', { class: 'muted' }, 'This version takes no parameters.'),
    h('div', { class: 'actions' }, submit));

  const setError = (name, message) => {
    const f = fields.get(name);
    f.error.textContent = message;
    f.error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
  };
  const clearErrors = () => {
    for (const f of fields.values()) {
      f.error.hidden = true;
      f.error.textContent = '';
      f.input.removeAttribute('aria-invalid');
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors();
    const parameters = {};
    let firstBad = null;
    for (const [name, f] of fields) {
      const result = readField(f.input, f.prop, f.required);
      if (result.error) { setError(name, result.error); firstBad ??= f.input; } else if (!result.omit) parameters[name] = result.value;
    }
    if (firstBad) { firstBad.focus(); return; }
    onSubmit(parameters);
  });

  return {
    el: form,
    clearErrors,
    setBusy(busy) { submit.disabled = busy; submit.textContent = busy ? 'Starting…' : submitLabel; },
    /** Shows a server-side message by the field it names ("count", "options.depth", "items[2]"). */
    showFieldError(field, message) {
      if (!field) return false;
      const name = fields.has(field) ? field : String(field).split(/[.[]/)[0];
      if (!fields.has(name)) return false;
      setError(name, message);
      fields.get(name).input.focus();
      return true;
    },
  };
}
