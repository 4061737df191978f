/** Parses the class names a YOLOv5 export stores in its ONNX metadata (`names`). */

/**
 * Accepts the forms exporters write: a Python list (`['person', ...]`), a Python dict
 * (`{0: 'person', ...}`) or JSON of either. Returns names indexed by class id.
 */
export function parseClassNames(text: string): string[] {
  const trimmed = text.trim();
  const tokens = tokenize(trimmed);
  const isDict = trimmed.startsWith("{");
  const names: string[] = [];
  if (!isDict) {
    for (const t of tokens) if (typeof t === "string") names.push(t);
    if (names.length === 0) {
      throw new Error(`Cannot read class names: no names in ${preview(text)}`);
    }
    return names;
  }
  // Dict: alternating key, value; keys are ints (Python) or numeric strings (JSON).
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const key = Number(tokens[i]);
    const value = tokens[i + 1];
    if (!Number.isInteger(key) || key < 0 || typeof value !== "string") {
      throw new Error(`Cannot read class names: bad entry ${i / 2} in ${preview(text)}`);
    }
    names[key] = value;
  }
  for (let i = 0; i < names.length; i++) {
    if (names[i] === undefined) throw new Error(`Cannot read class names: class ${i} is missing`);
  }
  if (names.length === 0) throw new Error(`Cannot read class names: no names in ${preview(text)}`);
  return names;
}

// Quoted strings become strings, bare numbers become numbers; punctuation is skipped.
function tokenize(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      let s = "";
      i++;
      while (i < text.length && text[i] !== ch) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1];
          s += next === "n" ? "\n" : next === "t" ? "\t" : next;
          i += 2;
        } else s += text[i++];
      }
      if (i >= text.length) throw new Error(`Cannot read class names: unterminated string`);
      i++;
      out.push(s);
    } else if (/[0-9-]/.test(ch)) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j])) j++;
      out.push(Number(text.slice(i, j)));
      i = j;
    } else i++;
  }
  return out;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}
