import { AppError } from '../shared/errors.ts';

/**
 * If-Match as RFC 9110 (13.1.1) reads it for a write: `*`, or a list of entity-tags compared strongly.
 * A campaign's ETag is its version, `"7"`. A weak tag (`W/"7"`) never matches in a strong comparison,
 * and `"07"` is another tag than `"7"`; both are well-formed and answer 412. A value that is no list of
 * entity-tags at all (`7`, `7"`) is a bad request.
 */
export type Precondition = (version: number) => boolean;

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

export function parseIfMatch(value: string): Precondition {
  const trimmed = value.trim();
  if (trimmed === '*') return () => true;
  const strong: string[] = [];
  for (const part of trimmed.split(',')) {
    const match = ENTITY_TAG.exec(part.trim());
    if (!match)
      throw new AppError('invalid_request', 'If-Match must be * or a list of entity tags such as "3"');
    if (!match[1]) strong.push(match[2]!);
  }
  return (version) => strong.includes(String(version));
}
