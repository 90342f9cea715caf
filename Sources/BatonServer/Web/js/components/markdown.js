// A small, safe Markdown renderer: it builds DOM nodes, so HTML in the source stays text.
// Supports headings, paragraphs, bold, italic, inline code, fenced code blocks, lists (nested by
// indentation), block quotes, rules and links (http, https, mailto and relative only).
import { h, safeUrl } from '../dom.js';

const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?!\s)([\s\S]+?)\*|(?<![\w])_(?!\s)([\s\S]+?)_(?![\w])|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/;

/** Inline Markdown to an array of nodes. */
export function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { out.push(document.createTextNode(rest)); break; }
    if (m.index) out.push(document.createTextNode(rest.slice(0, m.index)));
    const [, ticks, code, linkText, href, bold1, bold2, em1, em2, bare] = m;
    if (ticks) out.push(h('code', null, code.replace(/^ (.*) $/, '$1')));
    else if (linkText !== undefined) out.push(link(href, linkText));
    else if (bold1 || bold2) out.push(h('strong', null, inline(bold1 || bold2)));
    else if (em1 || em2) out.push(h('em', null, inline(em1 || em2)));
    else if (bare) out.push(link(bare, bare));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function link(href, textValue) {
  const url = safeUrl(href);
  const content = inline(textValue || href);
  if (!url) return h('span', { class: 'unsafe-link', title: 'link removed: only http, https and mailto links are shown' }, content);
  return h('a', { href: url, rel: 'noopener noreferrer nofollow', target: /^(https?:|mailto:)/i.test(url) ? '_blank' : null }, content);
}

const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Markdown source to a <div class="markdown">. */
export function renderMarkdown(source) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  const root = h('div', { class: 'markdown' });
  let i = 0;
  let para = [];
  const flush = () => {
    if (para.length) root.append(h('p', null, joinLines(para)));
    para = [];
  };

  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```+|~~~+)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flush();
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      root.append(h('pre', { class: 'code' }, h('code', { 'data-lang': fence[2] || null }, body.join('\n'))));
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      root.append(h(`h${Math.min(6, heading[1].length + 2)}`, { class: `md-h${heading[1].length}` }, inline(heading[2])));
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) { flush(); root.append(h('hr')); i++; continue; }
    if (/^\s{0,3}>/.test(line)) {
      flush();
      const quoted = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s{0,3}>\s?/, ''));
      root.append(h('blockquote', null, [...renderMarkdown(quoted.join('\n')).childNodes]));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      flush();
      const [list, next] = parseList(lines, i);
      root.append(list);
      i = next;
      continue;
    }
    if (!line.trim()) { flush(); i++; continue; }
    para.push(line);
    i++;
  }
  flush();
  return root;
}

/** Paragraph lines joined by spaces; a line ending in two spaces or a backslash breaks. */
function joinLines(lines) {
  const out = [];
  lines.forEach((line, k) => {
    const hard = / {2,}$|\\$/.test(line);
    out.push(...inline(line.replace(/( {2,}|\\)$/, '').trim()));
    if (k < lines.length - 1) out.push(hard ? h('br') : document.createTextNode(' '));
  });
  return out;
}

function parseList(lines, start) {
  const first = LIST_ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = h(ordered ? 'ol' : 'ul', ordered && parseInt(first[2], 10) !== 1 ? { start: parseInt(first[2], 10) } : null);
  let i = start;
  let item = null;
  let textLines = [];
  const closeItem = () => {
    if (item) item.prepend(...joinLines(textLines));
    textLines = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      // A blank line ends the list unless the next line continues it.
      const next = lines[i + 1];
      if (next !== undefined && (LIST_ITEM.test(next) && LIST_ITEM.exec(next)[1].length >= indent)) { i++; continue; }
      break;
    }
    const m = LIST_ITEM.exec(line);
    if (m && m[1].length < indent) break;
    if (m && m[1].length >= indent + 2 && item) {
      const [nested, next] = parseList(lines, i);
      closeItem();
      item.append(nested);
      i = next;
      continue;
    }
    if (m && m[1].length <= indent + 1) {
      if (/\d/.test(m[2]) !== ordered) break;
      closeItem();
      item = h('li');
      list.append(item);
      textLines = [m[3]];
      i++;
      continue;
    }
    if (!item || /^\s{0,3}(#{1,6}\s|```|~~~|>)/.test(line)) break;
    textLines.push(line.trim());
    i++;
  }
  closeItem();
  return [list, i];
}
