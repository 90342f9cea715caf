// The single live connection to /api/events. Views subscribe by event type. Each time the server
// confirms a subscription (its "hello" event: on the first connection, after a reconnect, after the
// scope changes) every subscriber of "resync" is told to re-fetch what may have changed between its
// own fetch and that moment, so a run that finished meanwhile is not shown as still pending.

import { withProject } from './api.js';

const TYPES = ['hello', 'flow_run', 'task_runs', 'log', 'version', 'deployment', 'worker', 'automations'];
const listeners = new Map(); // type -> Set<fn>
let worker;              // the Worker holding the stream; null when workers are unavailable
let source = null;       // the EventSource when it has to live on this thread
let scope = null;          // flow run id that limits log and task events, or null
let retryDelay = 1000;
let retryTimer = null;
let everOpened = false;
let lostSinceOpen = false;
let running = false;       // between startEvents and stopEvents

function setStatus(status) {
  const el = document.getElementById('live');
  if (!el) return;
  el.dataset.status = status;
  el.textContent = status === 'live' ? 'live' : status === 'reconnecting' ? 'reconnecting…' : 'connecting…';
  el.title = status === 'live' ? 'Receiving live updates' : 'Live updates paused; trying to reconnect';
}

function emit(type, data) {
  for (const fn of [...(listeners.get(type) || [])]) {
    try { fn(data); } catch (error) { console.error(`live ${type} handler failed`, error); }
  }
}

/** Handles what the stream reports, whether it runs in the worker or on this thread. */
function report(message) {
  if (message.kind === 'open') {
    retryDelay = 1000;
    setStatus('live');
    everOpened = true;
    lostSinceOpen = false;
  } else if (message.kind === 'error') {
    lostSinceOpen = true;
    setStatus('reconnecting');
    // EventSource retries by itself unless the stream was closed for good (HTTP error, wrong type).
    if (message.closed) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  } else if (message.kind === 'event' && message.type === 'hello') {
    emit('resync', null);
  } else if (message.kind === 'event') {
    let data;
    try { data = JSON.parse(message.data); } catch { return; }
    emit(message.type, data);
  }
}

function startWorker() {
  try {
    const w = new Worker(new URL('./events-worker.js', import.meta.url));
    w.onmessage = (event) => report(event.data);
    // A worker that cannot load (old browser, blocked script) falls back to this thread.
    w.onerror = () => { w.terminate(); worker = null; connect(); };
    return w;
  } catch {
    return null;
  }
}

function connectHere(url) {
  if (source) source.close();
  const es = new EventSource(url);
  source = es;
  es.onopen = () => { if (es === source) report({ kind: 'open' }); };
  es.onerror = () => { if (es === source) report({ kind: 'error', closed: es.readyState === EventSource.CLOSED }); };
  for (const type of TYPES) {
    es.addEventListener(type, (event) => { if (es === source) report({ kind: 'event', type, data: event.data }); });
  }
}

function connect() {
  clearTimeout(retryTimer);
  if (!running) return;
  // The stream carries the chosen project's events only.
  const url = new URL(withProject(scope ? `/api/events?flowRun=${encodeURIComponent(scope)}` : '/api/events'), location.href).href;
  setStatus(everOpened ? 'reconnecting' : 'connecting');
  if (worker === undefined) worker = startWorker();
  if (worker) worker.postMessage({ cmd: 'connect', url, types: TYPES });
  else connectHere(url);
}

/** Starts the connection (at start-up, and after logging in). */
export function startEvents() {
  if (running) return;
  running = true;
  connect();
}

/** Connects again (another project was chosen): the new stream's hello makes every page catch up. */
export function restartEvents() {
  if (running) connect();
}

/** Ends the connection (on logging out): the server stops sending what the session could see. */
export function stopEvents() {
  running = false;
  clearTimeout(retryTimer);
  if (worker) worker.postMessage({ cmd: 'disconnect' });
  if (source) { source.close(); source = null; }
  everOpened = false;
  setStatus('connecting');
}

/** Narrows log and task events to one flow run (or all with null) and brings the caller up to date:
 *  reconnecting when the scope changes (the server's hello triggers a resync), else a resync at once. */
export function setEventScope(flowRunId) {
  const next = flowRunId || null;
  if (next === scope && (worker || source)) {
    // The live connection already has this scope: the caller's new handlers catch up now.
    queueMicrotask(() => emit('resync', null));
    return;
  }
  scope = next;
  connect();
}

/** Subscribes to a type ("flow_run", …, or "resync"); returns the unsubscribe function. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}
