// Arguments cross into wasm as one JSON text: the engine's JSON.stringify walks the
// object far faster than wasm can read it field by field through the JS API, and the
// core then reads every argument with one deserializer. The replacer keeps what a
// plain stringify would silently drop or mangle: a Map becomes an object and a Set an
// array (their contents kept), a BigInt a number when it is exact; a function or a
// symbol where data belongs is an error rather than a vanished field. Dates become
// their ISO 8601 text, which is what the SDK's timestamps are.

function replacer(key, value) {
  switch (typeof value) {
    case 'object':
      if (value instanceof Map) {
        const out = {};
        for (const [k, v] of value) {
          if (typeof k !== 'string') throw new TypeError(`${at(key)}a Map key must be a string, got ${typeof k}`);
          out[k] = v;
        }
        return out;
      }
      if (value instanceof Set) return Array.from(value);
      return value;
    case 'bigint':
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
      throw new TypeError(`${at(key)}the BigInt ${value} is beyond what JSON numbers hold exactly`);
    case 'function':
    case 'symbol':
      throw new TypeError(`${at(key)}a ${typeof value} is not data`);
    default:
      return value;
  }
}

function at(key) {
  return key === '' ? '' : `${JSON.stringify(String(key))}: `;
}

// Whether the value holds anything the replacer must see. A replacer takes the engine
// off its fast JSON.stringify path (twice as slow in V8), and plain data never needs it.
function needsReplacer(value) {
  switch (typeof value) {
    case 'object':
      if (value === null) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (needsReplacer(value[i])) return true;
        return false;
      }
      if (value instanceof Map || value instanceof Set) return true;
      for (const key in value) if (needsReplacer(value[key])) return true;
      return false;
    case 'bigint':
    case 'function':
    case 'symbol':
      return true;
    default:
      return false;
  }
}

/** The argument as JSON text (`null` for undefined); throws TypeError for non-data. */
export function toJsonText(value) {
  const text = needsReplacer(value) ? JSON.stringify(value, replacer) : JSON.stringify(value);
  return text === undefined ? 'null' : text;
}
