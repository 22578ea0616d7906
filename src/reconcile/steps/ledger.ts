import type { PassContext } from '../context.ts';

/** Step 8: the ledger's own count (campaign_ledger, which refuses an oversell) against the rows. */
export async function checkLedger(ctx: PassContext): Promise<void> {
  const { deps, campaign } = ctx;
  const ledger = await deps.repos.campaigns.ledger(ctx.tx, ctx.id);
  if (!ledger) {
    ctx.violations.push({
      invariant: 'ledger',
      message: 'the campaign has no ledger row',
      values: {},
      repaired: false,
    });
    return;
  }
  if (ledger.sold !== ledger.rows || ledger.totalStock !== campaign.totalStock) {
    ctx.violations.push({
      invariant: 'ledger',
      message: `the ledger counts ${ledger.sold} of ${ledger.totalStock}; the claims table holds ${ledger.rows} for ${campaign.totalStock}`,
      values: { ...ledger, totalStock: campaign.totalStock },
      repaired: false,
    });
  }
}
