// DOM building without innerHTML: every piece of API text becomes a text node,
// so nothing the server sends can be parsed as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Creates an HTML element: h('a', {href: '#/'}, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  return append(el, children);
}

/** Creates an SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return append(el, children);
}

/** Replaces all children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A coloured badge for a state; `name` (e.g. "Late") is shown when given. */
export function stateBadge(type, name) {
  const t = type || 'unknown';
  const label = name || t;
  const late = name === 'Late' ? ' state-late' : '';
  return h('span', { class: `badge state-${t}${late}`, title: t === label.toLowerCase() ? t : `${label} (${t})` }, label);
}

export function flowHref(flow, version) {
  const base = `#/flows/${encodeURIComponent(flow)}`;
  return version === undefined || version === null ? base : `${base}?version=${encodeURIComponent(version)}`;
}

export function runHref(id) {
  return `#/runs/${encodeURIComponent(id)}`;
}

export function flowLink(flow) {
  return h('a', { href: flowHref(flow) }, flow);
}

export function versionLink(flow, version) {
  return h('a', { href: flowHref(flow, version) }, `v${version}`);
}

export function runLink(run) {
  return h('a', { href: runHref(run.id) }, run.name || run.id);
}

/** Only http(s), mailto and relative URLs may become links. */
export function safeUrl(url) {
  if (typeof url !== 'string') return null;
  const trimmed = url.trim();
  if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return null;
  return trimmed;
}

export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', null, title), ...children);
}

/** A page's stand-in while its data loads: grey shapes of a title, lines and panels, and what is coming. */
export function placeholder(what) {
  return h('div', { class: 'placeholder', id: 'page-loading', role: 'status', 'aria-busy': 'true' },
    h('div', { class: 'bone title' }), h('div', { class: 'bone line' }), h('div', { class: 'bone line' }),
    h('p', { class: 'muted' }, `Loading ${what}…`),
    h('div', { class: 'bone block' }), h('div', { class: 'bone block' }));
}

/** Text shown where a list has nothing in it. */
export function empty(textValue) {
  return h('p', { class: 'empty' }, textValue);
}

/** Calls fn at most once per `ms` of quiet; returns the wrapped function with .cancel(). */
export function debounce(fn, ms = 300) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** A stable JSON-ish string for showing arbitrary values in a cell. */
export function showValue(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
