import type { Bundle, BundlesRepo } from '../db/bundles.repo.ts';
import { AppError } from '../shared/errors.ts';
import { bundleId } from '../shared/ids.ts';
import type { CreateBundleInput } from './bundle.schema.ts';

export const bundleNotFound = (id: string) => new AppError('bundle_not_found', `bundle ${id} does not exist`);

/** Defining gift packs (admin). A pack's campaigns are fixed once it exists. */
export function createBundleAdmin(deps: { bundles: BundlesRepo }) {
  return {
    async create(input: CreateBundleInput): Promise<Bundle> {
      const buckets = await deps.bundles.bucketsOf(input.campaignIds);
      const unknown = input.campaignIds.filter((id) => !buckets.has(id));
      if (unknown.length > 0) {
        throw new AppError('campaign_not_found', `unknown campaigns: ${unknown.join(', ')}`, {
          campaignIds: unknown,
        });
      }
      // A pack reserves one unit per campaign in that campaign's slot; a campaign whose stock is split
      // over buckets would need the bucket fall-through inside the pack's protocol, which it does not do.
      const split = input.campaignIds.filter((id) => (buckets.get(id) ?? 1) > 1);
      if (split.length > 0) {
        throw new AppError(
          'invalid_request',
          `campaigns with stock buckets cannot be in a gift pack: ${split.join(', ')}`,
          { campaignIds: split },
        );
      }
      const id = input.id ?? bundleId();
      const created = await deps.bundles.insert({ id, name: input.name, campaignIds: input.campaignIds });
      if (!created) throw new AppError('bundle_exists', `bundle ${id} already exists`);
      return created;
    },

    async get(id: string): Promise<Bundle> {
      const found = await deps.bundles.find(id);
      if (!found) throw bundleNotFound(id);
      return found;
    },
  };
}

export type BundleAdmin = ReturnType<typeof createBundleAdmin>;
