// Node module hooks for the unit tests: the console's files under
// daemon/console are ES modules (the browser loads them with type=module),
// but with no package.json there Node would take a .js file for CommonJS.
// Each test registers these hooks before importing them:
//   register('./esm-hooks.mjs', import.meta.url);
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && /\/daemon\/console\/.*\.js$/.test(url)) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
