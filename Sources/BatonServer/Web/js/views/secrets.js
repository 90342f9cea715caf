// Secrets: the project's secret names, who set each and when; a form that sets one. Values go in
// and never come out.
import { h } from '../dom.js';
import { namedValuesPage } from '../components/named-values.js';

export function secretsView(root, ctx) {
  return namedValuesPage(root, ctx, {
    kind: 'secret',
    title: 'Secrets',
    about: [
      'Values are never shown: not on this page, not by the API. To change one, set it again. Flows read them with ',
      h('code', null, 'try await Secret.value("name")'),
      ', and whatever a run records after reading one shows its value as ****.',
    ],
  });
}
