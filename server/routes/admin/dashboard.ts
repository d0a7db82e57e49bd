import type { Request, Response } from 'express';
import { mailQueueStatus } from '../../mail/queue';
import { presentModerator, presentPurgeRun } from '../../presenters/admin';
import type { RouteContext } from '../context';

export function dashboardHandlers(ctx: RouteContext) {
  const { moderation } = ctx.services;

  // GET /admin — what needs attention, and who the moderators are.
  async function show(_req: Request, res: Response) {
    const { counts, purgeRuns, moderators } = await moderation.dashboard();
    res.render('admin/dashboard', {
      counts,
      // Counts only: a queued mail's address never reaches a page.
      mail: await mailQueueStatus(),
      purgeRuns: purgeRuns.map(presentPurgeRun),
      moderators: moderators.map(presentModerator),
      // Agreed and completed swaps per month: counts only.
      swapMonths: await ctx.services.swaps.monthlyCounts(),
    });
  }

  return { show };
}
