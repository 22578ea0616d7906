import { SLOTS } from './slot.ts';

/** Which master serves each slot, from CLUSTER SLOTS: `owners[slot]` is a `host:port`. */
export interface SlotMap {
  owners: string[];
  masters: string[];
}

type SlotsReply = [number, number, [string, number, ...unknown[]], ...unknown[]][];

export function parseClusterSlots(reply: unknown): SlotMap {
  const owners: string[] = new Array(SLOTS).fill('');
  const masters = new Set<string>();
  for (const [start, end, [host, port]] of reply as SlotsReply) {
    const address = `${host}:${port}`;
    masters.add(address);
    for (let slot = start; slot <= end; slot++) owners[slot] = address;
  }
  if (owners.some((o) => o === '')) throw new Error('the cluster does not serve every slot');
  return { owners, masters: [...masters] };
}
