/**
 * A user's claims in a campaign's users hash (in the user's home bucket): their entries, comma-separated,
 * oldest first. An entry is a claim id (sold in this bucket), `<id>@<b>` (sold in bucket b because the
 * home bucket was empty) or `~<id>` (a hold: a claim being sold in another bucket right now). The Lua
 * side of the same format is lua/includes/claim_ids.lua; this module is its only reader and writer in
 * TypeScript.
 */
export interface ClaimEntry {
  id: string;
  /** The bucket that sold it; undefined: the bucket that holds the list. */
  bucket?: number;
  /** A hold, not yet a claim. */
  hold?: true;
}

export function parseClaimEntries(list: string | null | undefined): ClaimEntry[] {
  if (!list) return [];
  return list.split(',').map((e): ClaimEntry => {
    if (e.startsWith('~')) return { id: e.slice(1), hold: true };
    const at = e.indexOf('@');
    return at < 0 ? { id: e } : { id: e.slice(0, at), bucket: Number(e.slice(at + 1)) };
  });
}

/** The ids of the user's claims (holds are not claims yet). */
export function parseClaimIds(list: string | null | undefined): string[] {
  return parseClaimEntries(list).flatMap((e) => (e.hold ? [] : [e.id]));
}

export function joinClaimEntries(entries: readonly ClaimEntry[]): string {
  return entries
    .map((e) => (e.hold ? `~${e.id}` : e.bucket === undefined ? e.id : `${e.id}@${e.bucket}`))
    .join(',');
}

export function joinClaimIds(ids: readonly string[]): string {
  return ids.join(',');
}

/** How many entries (claims and holds: both count toward the limit) a users-hash value holds. */
export function countClaimIds(list: string): number {
  let n = 1;
  for (let i = list.indexOf(','); i >= 0; i = list.indexOf(',', i + 1)) n++;
  return n;
}
