// Hash routing: "#/runs/abc?state=failed" -> view "run" with params {id: "abc"} and query {state: "failed"}.
// Each mount gets a context whose subscriptions and timers end when the route changes.
import { on, setEventScope } from './events.js';
import { debounce } from './dom.js';
import { clearError } from './api.js';

const routes = [];
let current = null;

/** Registers a route: pattern like "/flows/:flow", name used for body[data-ready], and the view function. */
export function route(pattern, name, view) {
  const keys = [];
  const regex = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, key) => { keys.push(key); return '([^/]+)'; }) + '/?$');
  routes.push({ regex, keys, name, view });
}

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  return { path: path || '/', query };
}

export function buildHash(path, query = {}) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const str = q.toString();
  return `#${path}${str ? `?${str}` : ''}`;
}

/** Goes to a new page (adds a history entry). */
export function navigate(hash) {
  if (location.hash === hash) mount();
  else location.hash = hash;
}

/** Rewrites the address without re-rendering, for state already shown (e.g. the chosen version). */
export function replaceQuery(query) {
  const { path } = parseHash();
  history.replaceState(null, '', buildHash(path, query));
}

class Context {
  constructor(match, params, query) {
    this.name = match.name;
    this.params = params;
    this.query = query;
    this.disposers = [];
    this.alive = true;
  }

  /** Subscribes to a live event for as long as this page is shown. */
  on(type, fn) {
    this.disposers.push(on(type, (data) => { if (this.alive) fn(data); }));
  }

  /** A debounced function (≥ 300 ms) cancelled when the page goes away. */
  debounce(fn, ms = 300) {
    const d = debounce((...args) => { if (this.alive) fn(...args); }, Math.max(300, ms));
    this.disposers.push(d.cancel);
    return d;
  }

  interval(fn, ms) {
    const id = setInterval(() => { if (this.alive) fn(); }, ms);
    this.disposers.push(() => clearInterval(id));
  }

  cleanup(fn) { this.disposers.push(fn); }

  /** Tells tests (and anyone waiting) that the first render is complete. */
  ready() {
    if (this.alive) document.body.dataset.ready = this.name;
  }

  dispose() {
    this.alive = false;
    for (const fn of this.disposers.splice(0)) {
      try { fn(); } catch (error) { console.error(error); }
    }
  }
}

function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    const params = {};
    r.keys.forEach((key, i) => { params[key] = decodeURIComponent(m[i + 1]); });
    return { route: r, params };
  }
  return null;
}

async function mount() {
  const { path, query } = parseHash();
  const found = match(path);
  if (current) current.dispose();
  delete document.body.dataset.ready;
  clearError();
  // Each page draws into its own element, so a page that finishes loading after the
  // reader has moved on draws into a detached element instead of over the next page.
  const root = document.createElement('div');
  root.className = 'page';
  document.getElementById('view').replaceChildren(root);
  if (!found) {
    root.append(Object.assign(document.createElement('p'), { className: 'error-page', textContent: 'No page here. ' }),
      Object.assign(document.createElement('a'), { href: '#/', textContent: 'Go to the dashboard' }));
    document.body.dataset.ready = 'notfound';
    return;
  }
  const ctx = new Context(found.route, found.params, query);
  current = ctx;
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === navSection(found.route.name));
    if (a.classList.contains('active')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    await found.route.view(root, ctx);
    // Only now are the page's handlers listening: (re)scoping the stream makes the server's hello,
    // or a resync when the scope is unchanged, catch what changed while the page was loading. The
    // run page narrows the stream to its run itself.
    if (ctx.alive && found.route.name !== 'run' && found.route.name !== 'login') setEventScope(null);
  } catch (error) {
    console.error(error);
    if (ctx.alive) {
      root.append(Object.assign(document.createElement('p'), { className: 'error-page', textContent: error.message }));
      ctx.ready();
    }
  }
}

function navSection(name) {
  return { flow: 'flows', run: 'runs', automation: 'automations' }[name] || name;
}

export function startRouter() {
  window.addEventListener('hashchange', mount);
  mount();
}
