// The login page: a user's name and password, or a one-time login link (#/login?token=…) that
// `baton quickstart` and `baton user link` print, exchanged for a session at once.
import { h } from '../dom.js';
import { logIn } from '../session.js';
import { ApiError, showError } from '../api.js';

export async function loginView(root, ctx) {
  const next = ctx.query.next && ctx.query.next.startsWith('/') ? `#${ctx.query.next}` : '#/';
  const done = () => { location.hash = next; };
  if (ctx.query.token) {
    // Out of the address bar and history before anything else: the link lets in once.
    history.replaceState(null, '', '#/login');
    try {
      await logIn({ token: ctx.query.token });
      done();
      return;
    } catch (error) {
      showError(error, 'The login link did not work');
    }
  }
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'panel login', 'data-form': 'login' },
    h('label', null, 'User', user),
    h('label', null, 'Password', password),
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    try {
      await logIn({ user: user.value, password: password.value });
      done();
    } catch (error) {
      message.textContent = error instanceof ApiError ? error.message : String(error);
      message.hidden = false;
      password.value = '';
      password.focus();
    }
  });
  root.append(h('h1', null, 'Log in to Baton'), form);
  ctx.ready();
}
