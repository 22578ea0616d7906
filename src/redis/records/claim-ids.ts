/**
 * A user's claims in a campaign's users hash: their claim ids, comma-separated, oldest first. The Lua
 * side of the same format is lua/includes/claim_ids.lua; this module is its only reader and writer in
 * TypeScript.
 */
export function parseClaimIds(list: string | null | undefined): string[] {
  return list ? list.split(',') : [];
}

export function joinClaimIds(ids: readonly string[]): string {
  return ids.join(',');
}

/** How many claims a users-hash value holds, without building the list. */
export function countClaimIds(list: string): number {
  let n = 1;
  for (let i = list.indexOf(','); i >= 0; i = list.indexOf(',', i + 1)) n++;
  return n;
}
