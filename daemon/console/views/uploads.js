// Placeholder until the Uploads view lands: a heading, so the shell works end to end.
import { h } from '../lib/dom.js';

export default {
  id: 'uploads',
  title: 'Uploads',
  roles: ['msp-admin', 'customer-admin'],
  mount(root) {
    root.dataset.ready = 'false';
    root.append(h('h1', {}, 'Uploads'), h('p', {}, 'Coming soon.'));
    root.dataset.ready = 'true';
  },
};
