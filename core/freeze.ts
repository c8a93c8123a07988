/**
 * `deepFreeze`: the one way a resolved config or an experiment definition is made read-only.
 *
 * Typed arrays (and every other ArrayBuffer view: DataView, Buffer) are left as they are, because
 * `Object.freeze` throws a TypeError on a view with elements ("Cannot freeze array buffer views
 * with elements"), and freezing the view would not freeze its buffer anyway. A typed array inside
 * a frozen value therefore stays writable: its owner must copy it if it needs it unchanged.
 *
 * @example
 * const cfg = deepFreeze({ net: { latencyMs: [10, 20] }, weights: new Float32Array(4) });
 * Object.isFrozen(cfg.net.latencyMs); // true
 * Object.isFrozen(cfg.weights);       // false: a typed array is left as it is
 */

/**
 * Freezes `value` and every object and array reachable from it, in place, and returns it.
 * Descends into already-frozen objects too (a frozen parent may hold unfrozen children).
 * Primitives and ArrayBuffer views are returned unchanged. `value` must be a tree (no cycles).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
