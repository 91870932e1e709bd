// Placeholder until the Desk view lands: a heading, so the shell works end to end.
import { h } from '../lib/dom.js';

export default {
  id: 'desk',
  title: 'Desk',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],
  mount(root) {
    root.dataset.ready = 'false';
    root.append(h('h1', {}, 'Desk'), h('p', {}, 'Coming soon.'));
    root.dataset.ready = 'true';
  },
};
