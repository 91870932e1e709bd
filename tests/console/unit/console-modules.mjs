// Imports a console module (daemon/console/<path>) as an ES module; see esm-hooks.mjs.
import { register } from 'node:module';

register('./esm-hooks.mjs', import.meta.url);

export function consoleModule(path) {
  return import(new URL(`../../../daemon/console/${path}`, import.meta.url).href);
}
