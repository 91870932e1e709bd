// Placeholder until the Customers view lands: a heading, so the shell works end to end.
import { h } from '../lib/dom.js';

export default {
  id: 'customers',
  title: 'Customers',
  roles: ['msp-admin'],
  mount(root) {
    root.dataset.ready = 'false';
    root.append(h('h1', {}, 'Customers'), h('p', {}, 'Coming soon.'));
    root.dataset.ready = 'true';
  },
};
