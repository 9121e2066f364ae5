/*
 * Node 20 lacks Object.groupBy and Map.groupBy (Node >= 21), which chevrotain 13
 * (used by Langium 4) calls while building parsers. Loaded before anything else in
 * every entry point: the bundles get it as a banner, tests and the Langium generator
 * get it through `node --require`.
 */
'use strict';
if (typeof Object.groupBy !== 'function') {
  Object.defineProperty(Object, 'groupBy', {
    configurable: true,
    writable: true,
    value: function groupBy(items, keyOf) {
      const out = Object.create(null);
      let i = 0;
      for (const item of items) {
        const key = keyOf(item, i++);
        (out[key] ??= []).push(item);
      }
      return out;
    },
  });
}
if (typeof Map.groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value: function groupBy(items, keyOf) {
      const out = new Map();
      let i = 0;
      for (const item of items) {
        const key = keyOf(item, i++);
        const list = out.get(key);
        if (list) list.push(item);
        else out.set(key, [item]);
      }
      return out;
    },
  });
}
