// A row's Remove button that asks "Remove NAME?" in place before it removes, beside any other
// buttons of the row. Every list page removes things this way.
import { h, fill } from '../dom.js';

/**
 * The buttons: `others()` makes the row's other buttons (drawn again after Cancel), and
 * `onRemove()` runs once the reader confirms.
 */
export function confirmRemove(name, onRemove, others = () => []) {
  const cell = h('span', { class: 'buttons' });
  const ask = () => fill(cell,
    h('span', { class: 'confirm' }, `Remove ${name}?`),
    h('button', { type: 'button', class: 'danger', 'data-action': 'confirm-remove', onclick: (event) => {
      event.currentTarget.disabled = true;
      onRemove();
    } }, 'Remove'),
    h('button', { type: 'button', 'data-action': 'cancel-remove', onclick: idle }, 'Cancel'));
  function idle() {
    fill(cell, others(), h('button', { type: 'button', class: 'danger', 'data-action': 'remove', onclick: ask }, 'Remove'));
  }
  idle();
  return cell;
}
