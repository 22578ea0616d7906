/**
 * The rule for every identity and name the service stores (user ids from a token's `sub`, campaign
 * names, operator names): well-formed Unicode text without control characters.
 * - No lone surrogates (U+D800 to U+DFFF unpaired): they cannot be stored in Postgres or sent as UTF-8,
 *   and two strings that differ only in them become the same string on the way (the same user in Redis).
 * - No C0 or C1 control characters and no DEL (U+0000 to U+001F, U+007F to U+009F): NUL cannot be stored
 *   in Postgres text, and the others only make logs and records ambiguous.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function isSafeText(s: string): boolean {
  return s.isWellFormed() && !CONTROL.test(s);
}

export const SAFE_TEXT_RULE = 'must be well-formed text without control characters or unpaired surrogates';

/** A user id (a token's `sub`): 1 to 128 characters of safe text. */
export const MAX_USER_ID_LENGTH = 128;

export function userIdProblem(sub: unknown): string | null {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_USER_ID_LENGTH) {
    return `sub must be a string of 1 to ${MAX_USER_ID_LENGTH} characters`;
  }
  if (!isSafeText(sub)) return `sub ${SAFE_TEXT_RULE}`;
  return null;
}
