// A form that creates something: its fields, a submit button, the refusal (the form's own check or
// the server's) in one line under it, and what it did in a status line.
import { h, fill } from '../dom.js';

/** What a form's own check refuses, with the control to go back to. */
export class FormProblem extends Error {
  constructor(message, input) {
    super(message);
    this.input = input;
  }
}

/** What the server takes as a URL to send to: http(s) with a host (it has the last word). */
export const HTTP_URL = /^https?:\/\/[^\s/]+/i;

/** A control with its label above it, and a hint under it when given. */
export function labelled(text, control, hint) {
  return h('label', null, h('span', { class: 'label' }, text), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

/** A checkbox with its label beside it. */
export function checkbox(text, attrs) {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', ...attrs }), text);
}

/** A <select> of `values` (strings, or [value, text] pairs), with a first option for none when `none` is given. */
export function choice(attrs, values, none) {
  return h('select', attrs,
    none ? h('option', { value: '' }, none) : null,
    values.map((v) => (Array.isArray(v) ? h('option', { value: v[0] }, v[1]) : h('option', { value: v }, v))));
}

/**
 * `<form data-form="dataForm">` of `fields` (nodes). On submit, `read()` returns the request's
 * body or throws a FormProblem; `send(body)` makes the request (throwing what the API says) and
 * returns what the status line should say. Returns {el, form}.
 */
export function createForm(dataForm, { fields, submitLabel, read, send }) {
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const status = h('p', { class: 'form-status muted', role: 'status' });
  const form = h('form', { class: 'create-form', 'data-form': dataForm, novalidate: true },
    fields, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    fill(status);
    let body;
    try {
      body = read();
    } catch (problem) {
      fail(problem);
      problem.input?.focus();
      return;
    }
    submit.disabled = true;
    try {
      fill(status, await send(body));
    } catch (error) {
      fail(error);
    } finally {
      submit.disabled = false;
    }
  });

  function fail(error) {
    // One line, whatever the message holds.
    message.textContent = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
    message.hidden = false;
  }

  return { el: h('div', null, form, message, status), form };
}
