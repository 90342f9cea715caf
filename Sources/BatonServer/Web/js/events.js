// The single live connection to /api/events. Views subscribe by event type;
// after a reconnect every subscriber of "resync" is told to re-fetch what it may have missed.

const TYPES = ['flow_run', 'task_runs', 'log', 'version', 'deployment', 'worker'];
const listeners = new Map(); // type -> Set<fn>
let source = null;
let scope = null;          // flow run id that limits log and task events, or null
let retryDelay = 1000;
let retryTimer = null;
let everOpened = false;
let lostSinceOpen = false;

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

function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  const url = scope ? `/api/events?flowRun=${encodeURIComponent(scope)}` : '/api/events';
  const es = new EventSource(url);
  source = es;
  setStatus(everOpened ? 'reconnecting' : 'connecting');
  es.onopen = () => {
    if (es !== source) return;
    retryDelay = 1000;
    setStatus('live');
    if (lostSinceOpen) emit('resync', null);
    everOpened = true;
    lostSinceOpen = false;
  };
  es.onerror = () => {
    if (es !== source) return;
    lostSinceOpen = true;
    setStatus('reconnecting');
    // The browser retries by itself unless the stream was closed for good (HTTP error, bad type).
    if (es.readyState === EventSource.CLOSED) {
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  };
  for (const type of TYPES) {
    es.addEventListener(type, (event) => {
      if (es !== source) return;
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      emit(type, data);
    });
  }
}

/** Starts the connection once at start-up. */
export function startEvents() {
  if (!source) connect();
}

/** Narrows log and task events to one flow run (or all with null); reconnects only when it changes. */
export function setEventScope(flowRunId) {
  const next = flowRunId || null;
  if (next === scope && source) return;
  scope = next;
  connect();
}

/** Subscribes to a type ("flow_run", …, or "resync"); returns the unsubscribe function. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}
