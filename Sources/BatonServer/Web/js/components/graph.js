// The task-run graph: longest-path layering, left to right, in inline SVG.
// Connected task runs go in layers (tall layers wrap into extra columns); task runs with no
// edges go in rows above or below them, by when they were created.
import { h, s } from '../dom.js';

export const MAX_NODES = 500;
const NODE_W = 168, NODE_H = 30, GAP_X = 56, GAP_Y = 10, PAD = 12, WRAP = 15;

/** Longest-path layer of each node (0 for sources); nodes on a cycle go after everything else. */
export function layerNodes(nodes, edges) {
  const ids = nodes.map((n) => n.id);
  const indeg = new Map(ids.map((id) => [id, 0]));
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    out.get(e.from).push(e.to);
    indeg.set(e.to, indeg.get(e.to) + 1);
  }
  const layer = new Map(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const done = new Set();
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    done.add(id);
    for (const next of out.get(id)) {
      layer.set(next, Math.max(layer.get(next), layer.get(id) + 1));
      indeg.set(next, indeg.get(next) - 1);
      if (indeg.get(next) === 0) queue.push(next);
    }
  }
  const deepest = Math.max(0, ...layer.values());
  for (const id of ids) if (!done.has(id)) layer.set(id, deepest + 1);
  return layer;
}

/**
 * Positions {id -> {x, y}} and the drawing size. Nodes come in creation order: connected ones go in
 * layers left to right, each layer top-down in creation order; task runs with no edges go in rows,
 * above the layers when they were created before every connected one (the run began with them), below
 * otherwise.
 */
export function layout(nodes, edges) {
  const linked = new Set(edges.flatMap((e) => [e.from, e.to]));
  const connected = nodes.filter((n) => linked.has(n.id));
  const firstLinked = nodes.findIndex((n) => linked.has(n.id));
  const loose = nodes.filter((n) => !linked.has(n.id));
  const before = firstLinked < 0 ? loose : loose.filter((n) => nodes.indexOf(n) < firstLinked);
  const after = loose.filter((n) => !before.includes(n));
  const layer = layerNodes(connected, edges);
  const columns = [];
  for (const n of connected) (columns[layer.get(n.id)] ||= []).push(n);

  const pos = new Map();
  let col = 0;
  for (const column of columns) if (column) col += Math.ceil(column.length / WRAP);
  const perRow = Math.max(6, col);
  // Rows of loose nodes from `top`; returns the y below them.
  const rows = (list, top) => {
    list.forEach((n, i) => {
      pos.set(n.id, { x: PAD + (i % perRow) * (NODE_W + GAP_X), y: top + Math.floor(i / perRow) * (NODE_H + GAP_Y) });
    });
    return list.length ? top + Math.ceil(list.length / perRow) * (NODE_H + GAP_Y) + GAP_Y * 2 : top;
  };

  const layersTop = rows(before, PAD);
  col = 0;
  let maxRows = 0;
  for (const column of columns) {
    if (!column) continue;
    for (let i = 0; i < column.length; i++) {
      const row = i % WRAP;
      pos.set(column[i].id, { x: PAD + (col + Math.floor(i / WRAP)) * (NODE_W + GAP_X), y: layersTop + row * (NODE_H + GAP_Y) });
      maxRows = Math.max(maxRows, row + 1);
    }
    col += Math.ceil(column.length / WRAP);
  }
  rows(after, layersTop + maxRows * (NODE_H + GAP_Y) + (maxRows ? GAP_Y * 2 : 0));
  const usedCols = Math.max(col, Math.min(loose.length, perRow));
  return {
    pos,
    width: PAD * 2 + Math.max(1, usedCols) * (NODE_W + GAP_X) - GAP_X,
    height: Math.max(0, ...[...pos.values()].map((p) => p.y)) + NODE_H + PAD,
  };
}

const label = (text) => (text.length > 22 ? `${text.slice(0, 21)}…` : text);

function nodeEl(n, p, onSelect) {
  const g = s('g', {
    class: `node state-${n.state}`, transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'button',
    'data-task-run-id': n.id, 'data-state': n.state,
  },
  s('title', null, `${n.name} — ${n.stateName || n.state}`),
  s('rect', { width: NODE_W, height: NODE_H, rx: 5 }),
  s('circle', { class: 'dot', cx: 12, cy: NODE_H / 2, r: 4 }),
  s('text', { x: 22, y: NODE_H / 2 + 4 }, label(n.name || n.id)));
  if (onSelect) {
    g.addEventListener('click', () => onSelect(n.id));
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(n.id); } });
  }
  return g;
}

/** graph: {nodes, edges}; returns {el, setState(taskRun) -> bool, size}. */
export function taskGraph(graph, { onSelect } = {}) {
  const all = graph?.nodes || [];
  const nodes = all.slice(0, MAX_NODES);
  const keep = new Set(nodes.map((n) => n.id));
  const edges = (graph?.edges || []).filter((e) => keep.has(e.from) && keep.has(e.to) && e.from !== e.to);
  if (!nodes.length) {
    return { el: h('div', { class: 'graph-wrap' }, s('svg', { id: 'task-graph', class: 'graph', width: 0, height: 0 }),
      h('p', { class: 'empty' }, 'No task runs yet.')), setState: () => false, size: 0 };
  }
  const { pos, width, height } = layout(nodes, edges);
  const svg = s('svg', { id: 'task-graph', class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'group', 'aria-label': `Task runs: ${nodes.length}, dependencies: ${edges.length}` },
  s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }))));

  const edgeLayer = s('g', { class: 'edges' });
  for (const e of edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    edgeLayer.append(s('path', { class: `edge edge-${e.kind || 'future'}`, 'marker-end': 'url(#arrow)',
      'data-from': e.from, 'data-to': e.to, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` },
    s('title', null, `${e.kind || 'dependency'}`)));
  }
  const nodeLayer = s('g', { class: 'nodes' }, nodes.map((n) => nodeEl(n, pos.get(n.id), onSelect)));
  svg.append(edgeLayer, nodeLayer);

  const note = all.length > MAX_NODES
    ? h('p', { class: 'note' }, `Showing the first ${MAX_NODES} of ${all.length} task runs.`) : null;
  return {
    el: h('div', { class: 'graph-wrap' }, note, h('div', { class: 'scroll' }, svg)),
    size: all.length,
    setState(tr) {
      const g = svg.querySelector(`g.node[data-task-run-id="${CSS.escape(tr.id)}"]`);
      if (!g) return all.length > MAX_NODES; // beyond the cap: nothing to redraw
      g.setAttribute('class', `node state-${tr.state}`);
      g.dataset.state = tr.state;
      g.querySelector('title').textContent = `${tr.name} — ${tr.stateName || tr.state}`;
      return true;
    },
  };
}
