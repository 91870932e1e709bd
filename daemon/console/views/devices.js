// Placeholder until the Devices view lands: a heading, so the shell works end to end.
import { h } from '../lib/dom.js';

export default {
  id: 'devices',
  title: 'Devices',
  roles: ['msp-admin', 'customer-admin', 'reseller', 'desk-operator', 'viewer'],
  mount(root) {
    root.dataset.ready = 'false';
    root.append(h('h1', {}, 'Devices'), h('p', {}, 'Coming soon.'));
    root.dataset.ready = 'true';
  },
};
