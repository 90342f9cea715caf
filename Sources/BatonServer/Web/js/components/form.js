// A run form generated from a version's parameter JSON Schema, with type and constraint checks as
// the reader types and before submit. The server checks again and has the last word.
import { h } from '../dom.js';
import { inline } from './markdown.js';

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

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const count = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
const countWords = (min, high, unit) => countWordsFrom(min === 0 ? undefined : min, high, unit);
const countWordsFrom = (low, high, unit) =>
  low !== undefined && high !== undefined ? (low === high ? count(low, unit) : `${low} to ${count(high, unit)}`)
    : low !== undefined ? `at least ${count(low, unit)}` : high !== undefined ? `at most ${count(high, unit)}` : null;

/** "from 0 to 1", "at least 1", "greater than 0 and at most 10"; the words of ParameterConstraints.swift. */
function rangeWords(prop) {
  const [min, max, xmin, xmax] = [num(prop.minimum), num(prop.maximum), num(prop.exclusiveMinimum), num(prop.exclusiveMaximum)];
  const low = min !== undefined ? ['from', min] : xmin !== undefined ? ['greater than', xmin] : null;
  const high = max !== undefined ? ['at most', max] : xmax !== undefined ? ['less than', xmax] : null;
  const lowText = (l) => `${l[0] === 'from' ? 'at least' : l[0]} ${l[1]}`;
  if (low && high) return low[0] === 'from' && high[0] === 'at most' ? `from ${low[1]} to ${high[1]}` : `${lowText(low)} and ${high[0]} ${high[1]}`;
  if (low) return lowText(low);
  if (high) return `${high[0]} ${high[1]}`;
  return null;
}

/** The limits a property states beyond its type, in words (as `baton flow inspect` shows them); null when none. */
export function allowedText(prop) {
  const choices = Array.isArray(prop.enum) ? prop.enum.filter((c) => typeof c === 'string') : null;
  const parts = [rangeWords(prop),
    choices ? `one of ${choices.map((c) => `"${c}"`).join(', ')}` : null,
    countWords(num(prop.minLength), num(prop.maxLength), 'character'),
    typeof prop.pattern === 'string' ? `matching ${prop.pattern}` : null,
    countWords(num(prop.minItems), num(prop.maxItems), 'item')].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

/**
 * What is wrong with a value of the right type, in the server's words: "1.5 is out of range; expected
 * a number from 0 to 1". Null when the value keeps to the schema's limits.
 */
export function constraintProblem(prop, value) {
  if (value === null || value === undefined) return null;
  const { base } = propertyType(prop);
  if (typeof value === 'number') {
    const range = rangeWords(prop);
    if (!range) return null;
    const [min, max, xmin, xmax] = [num(prop.minimum), num(prop.maximum), num(prop.exclusiveMinimum), num(prop.exclusiveMaximum)];
    const out = (min !== undefined && value < min) || (xmin !== undefined && value <= xmin)
      || (max !== undefined && value > max) || (xmax !== undefined && value >= xmax);
    return out ? `${value} is out of range; expected ${base === 'integer' ? 'an integer' : 'a number'} ${range}` : null;
  }
  if (typeof value === 'string') {
    const shown = `"${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`;
    const choices = Array.isArray(prop.enum) ? prop.enum.filter((c) => typeof c === 'string') : null;
    if (choices && !choices.includes(value)) return `${shown} is not allowed; expected one of ${choices.map((c) => `"${c}"`).join(', ')}`;
    const length = [...value].length;
    const [minLength, maxLength] = [num(prop.minLength), num(prop.maxLength)];
    const words = countWords(minLength, maxLength, 'character');
    if (words && ((minLength !== undefined && length < minLength) || (maxLength !== undefined && length > maxLength))) {
      return `${shown} is ${maxLength !== undefined && length > maxLength ? 'too long' : 'too short'} (${count(length, 'character')}); expected a string of ${words}`;
    }
    if (typeof prop.pattern === 'string') {
      let regex = null;
      try { regex = new RegExp(prop.pattern, 'u'); } catch { regex = null; }
      if (regex && !regex.test(value)) return `${shown} does not match the pattern; expected a string matching ${prop.pattern}`;
    }
    return null;
  }
  if (Array.isArray(value)) {
    const [minItems, maxItems] = [num(prop.minItems), num(prop.maxItems)];
    const words = countWords(minItems, maxItems, 'item');
    if (words && ((minItems !== undefined && value.length < minItems) || (maxItems !== undefined && value.length > maxItems))) {
      return `${count(value.length, 'item')} is ${maxItems !== undefined && value.length > maxItems ? 'too many' : 'too few'}; expected an array of ${words}`;
    }
  }
  return null;
}

/** HTML attributes that state the schema's limits on the control itself. */
function limitAttributes(prop, base) {
  const attrs = {};
  if (base === 'integer' || base === 'number') {
    if (num(prop.minimum) !== undefined) attrs.min = prop.minimum;
    if (num(prop.maximum) !== undefined) attrs.max = prop.maximum;
  }
  if (base === 'string') {
    if (num(prop.minLength) !== undefined) attrs.minlength = prop.minLength;
    if (num(prop.maxLength) !== undefined) attrs.maxlength = prop.maxLength;
    // HTML anchors a pattern at both ends; the schema's pattern may match anywhere, as the server reads it.
    if (typeof prop.pattern === 'string') attrs.pattern = `[\\s\\S]*(?:${prop.pattern})[\\s\\S]*`;
  }
  return attrs;
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
      return h('input', { ...common, ...limitAttributes(prop, base), type: 'text', inputmode: base === 'integer' ? 'numeric' : 'decimal',
        step: base === 'integer' ? '1' : 'any', autocomplete: 'off', value: has && def !== null ? String(def) : '',
        placeholder: nullable ? 'empty for null' : required ? 'required' : '' });
    case 'string':
      return h('input', { ...common, ...limitAttributes(prop, base), type: 'text', autocomplete: 'off', value: has && def !== null ? String(def) : '',
        placeholder: nullable ? 'empty for null' : '' });
    default:
      return h('textarea', { ...common, spellcheck: 'false', class: 'json',
        rows: Math.min(10, Math.max(3, has && def !== null ? JSON.stringify(def, null, 2).split('\n').length : 3)),
        placeholder: base === 'array' ? '[ ]' : base === 'object' ? '{ }' : 'JSON',
        value: has && def !== null ? JSON.stringify(def, null, 2) : '' });
  }
}

/**
 * Reads one control and checks it against the schema's limits; returns {value} | {omit: true} | {error}.
 * A limit broken reads as the server says it: "parameter 'threshold': 1.5 is out of range; …".
 */
export function readField(el, prop, required, name = el.name.replace(/^param-/, '')) {
  const result = readValue(el, prop, required);
  if (result.error || result.omit) return result;
  const problem = constraintProblem(prop, result.value);
  return problem ? { error: `parameter '${name}': ${problem}` } : result;
}

function readValue(el, prop, required) {
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
    const allowed = allowedText(prop);
    const hint = h('p', { class: 'hint', id: `param-${name}-hint` },
      h('span', { class: 'type' }, typeHint(prop)), allowed ? h('span', { class: 'allowed' }, ` · ${allowed}`) : '',
      prop.description ? [' · ', inline(prop.description)] : '');
    fields.set(name, { input, error, prop, required: isRequired });
    // Checked as the reader types: a value out of bounds says so before anything is sent. A value
    // not yet readable (half a number, unfinished JSON) waits until the reader leaves the field.
    const check = (typing) => {
      const parsed = readValue(input, prop, isRequired);
      const result = readField(input, prop, isRequired, name);
      if (!result.error || (typing && parsed.error) || input.value.trim() === '') clearError(name);
      else setError(name, result.error);
    };
    input.addEventListener('input', () => check(true));
    input.addEventListener('change', () => check(false));
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
  const clearError = (name) => {
    const f = fields.get(name);
    f.error.hidden = true;
    f.error.textContent = '';
    f.input.removeAttribute('aria-invalid');
  };
  const clearErrors = () => { for (const name of fields.keys()) clearError(name); };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors();
    const parameters = {};
    let firstBad = null;
    for (const [name, f] of fields) {
      const result = readField(f.input, f.prop, f.required, name);
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
