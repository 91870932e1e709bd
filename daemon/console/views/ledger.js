// Placeholder until the Ledger view lands: a heading, so the shell works end to end.
import { h } from '../lib/dom.js';

export default {
  id: 'ledger',
  title: 'Ledger',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],
  mount(root) {
    root.dataset.ready = 'false';
    root.append(h('h1', {}, 'Ledger'), h('p', {}, 'Coming soon.'));
    root.dataset.ready = 'true';
  },
};
