import { Lexer, Source, TokenKind } from 'graphql';

/**
 * Tokens of a document, counted with graphql-js's own lexer before anything parses it, stopping
 * once past `stopAfter`. Undefined when the document does not lex: the parser then reports the
 * syntax error as usual.
 */
export function countTokens(query: string, stopAfter: number): number | undefined {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      tokens += 1;
      if (tokens > stopAfter) return tokens;
    }
  } catch {
    return undefined;
  }
  return tokens;
}

/**
 * Nesting of arrays and objects in a JSON value, walked with an explicit stack: a client can send
 * `[[[…]]]` 100 000 deep, and anything recursive (graphql-js's variable coercion, JSON.stringify)
 * would overflow the call stack on it. Stops once past `stopAfter`.
 */
export function jsonDepth(value: unknown, stopAfter: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAfter) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Nesting of `[` and `{` in JSON text not yet parsed (GET's `variables`), strings skipped. */
export function jsonTextDepth(text: string, stopAfter: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      depth += 1;
      deepest = Math.max(deepest, depth);
      if (deepest > stopAfter) return deepest;
    } else if (char === ']' || char === '}') depth -= 1;
  }
  return deepest;
}

/**
 * The first string in `variables` longer than `maxLength`, with the variable it sits in. Every
 * variable feeds an argument, and our inputs' only text types are String and ID, so every string
 * in the variables is an argument value. Call after jsonDepth has bounded the nesting.
 */
export function longStringIn(variables: Readonly<Record<string, unknown>>, maxLength: number): { variable: string; length: number } | undefined {
  for (const [variable, value] of Object.entries(variables)) {
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const item = stack.pop();
      if (typeof item === 'string' && item.length > maxLength) return { variable, length: item.length };
      if (typeof item === 'object' && item !== null) for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push(child);
    }
  }
  return undefined;
}
