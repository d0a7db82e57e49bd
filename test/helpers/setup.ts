process.env.UV_THREADPOOL_SIZE ??= '16';
import { context, setupContext, teardownContext, truncateAll } from './context';

// Root hooks: one app and one database for the run; every test starts with empty tables,
// fresh in-memory rate limits, an empty mailbox, an empty log and the real clock.
before(async function () {
  this.timeout(60_000);
  await setupContext();
});

beforeEach(async () => {
  const ctx = context();
  await truncateAll(ctx.db);
  ctx.rateLimits.clearMemory();
  ctx.mailer.clear();
  ctx.logs.clear();
  ctx.clock.reset();
});

after(async () => {
  await teardownContext();
});
