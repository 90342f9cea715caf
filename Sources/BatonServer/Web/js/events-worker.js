// Holds the EventSource off the page's thread. Besides keeping parsing off the UI thread, this
// keeps an endless stream from stalling headless browsers that wait for the network to go idle.
let source = null;

self.onmessage = (message) => {
  const { cmd, url, types } = message.data || {};
  if (source) { source.close(); source = null; }
  if (cmd !== 'connect') return;
  const es = new EventSource(url);
  source = es;
  es.onopen = () => { if (es === source) postMessage({ kind: 'open' }); };
  es.onerror = () => {
    if (es === source) postMessage({ kind: 'error', closed: es.readyState === EventSource.CLOSED });
  };
  for (const type of types) {
    es.addEventListener(type, (event) => {
      if (es === source) postMessage({ kind: 'event', type, data: event.data });
    });
  }
};
