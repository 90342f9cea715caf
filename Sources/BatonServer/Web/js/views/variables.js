// Variables: the project's settings that flows read at run time, with their values; set, edit, remove.
import { h } from '../dom.js';
import { namedValuesPage } from '../components/named-values.js';

export function variablesView(root, ctx) {
  return namedValuesPage(root, ctx, {
    kind: 'variable',
    title: 'Variables',
    about: [
      'Settings that are not secret, shown as they are. Flows read them with ',
      h('code', null, 'try await Variable.get("name")'),
      ' (or ', h('code', null, 'Variable.get("name", default: "…")'), '). Keep passwords and tokens in ',
      h('a', { href: '#/secrets' }, 'Secrets'), '.',
    ],
  });
}
