// tslab runs notebook cells as CommonJS inside a vm context without a dynamic-import hook, and
// vega is ESM with top-level await (so `require` cannot load it). A dynamic import() from a real
// CommonJS file on disk works: notebooks load ESM packages through this one-line bridge.
module.exports = (specifier) => import(specifier);
