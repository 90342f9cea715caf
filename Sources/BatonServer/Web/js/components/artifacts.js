// Artifacts of a run: Markdown rendered safely, tables from rows of key-value, links.
import { h, safeUrl } from '../dom.js';
import { timeEl } from '../format.js';
import { renderMarkdown } from './markdown.js';
import { objectsTable } from './table.js';

export function artifactsList(artifacts, taskNames = new Map()) {
  if (!artifacts?.length) return h('p', { class: 'empty' }, 'This run has made no artifacts.');
  return h('div', { class: 'artifacts' }, artifacts.map((a) => artifactCard(a, taskNames)));
}

function artifactCard(a, taskNames) {
  const from = a.taskRunID ? taskNames.get(a.taskRunID) || a.taskRunID : null;
  return h('article', { class: `artifact artifact-${a.kind}`, 'data-artifact-key': a.key, 'data-kind': a.kind },
    h('header', null,
      h('h3', null, a.key || `artifact ${a.id}`),
      h('span', { class: 'muted small' }, a.kind, from ? ` · from ${from}` : '', ' · ', timeEl(a.createdAt))),
    a.description ? h('p', { class: 'muted' }, a.description) : null,
    artifactBody(a));
}

function artifactBody(a) {
  let data = a.data;
  switch (a.kind) {
    case 'markdown':
      return renderMarkdown(typeof data === 'string' ? data : JSON.stringify(data, null, 2));
    case 'table': {
      if (typeof data === 'string') { try { data = JSON.parse(data); } catch { /* shown as text below */ } }
      if (Array.isArray(data)) {
        const rows = data.map((r) => (r && typeof r === 'object' ? r : { value: r }));
        return h('div', { class: 'scroll' }, objectsTable(rows));
      }
      return h('pre', { class: 'code' }, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
    }
    case 'link': {
      if (typeof data === 'string') data = { url: data };
      const url = safeUrl(data?.url);
      const label = data?.text || data?.url || '';
      return url
        ? h('p', null, h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank' }, label))
        : h('p', null, label, h('span', { class: 'muted' }, ' (link not shown: only http, https and mailto)'));
    }
    default:
      return h('pre', { class: 'code' }, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  }
}
