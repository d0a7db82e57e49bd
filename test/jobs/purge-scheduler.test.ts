import { expect } from 'chai';
import { scheduledJobs } from 'croner';
import { startScheduler } from '../../jobs/scheduler';
import { context } from '../helpers/context';

// The schedule itself never fires in tests: these start it, look at it and stop it at once.
describe('jobs/scheduler', () => {
  function depsWith(purge: Partial<ReturnType<typeof context>['config']['purge']>) {
    const c = context();
    return { ...c.deps, config: { ...c.config, purge: { ...c.config.purge, ...purge } } };
  }

  it('schedules the purge on PURGE_SCHEDULE in PURGE_TIMEZONE, and stops', async () => {
    const stop = startScheduler(depsWith({ enabled: true, schedule: '30 3 * * *', timezone: 'Europe/Helsinki' }));
    try {
      const job = scheduledJobs.find((j) => j.name === 'purge');
      expect(job).to.not.equal(undefined);
      // 03:30 in Helsinki is 01:30 UTC in winter.
      expect(job!.nextRun(new Date('2027-01-10T12:00:00Z'))!.toISOString()).to.equal('2027-01-11T01:30:00.000Z');
    } finally {
      await stop();
    }
    expect(scheduledJobs.find((j) => j.name === 'purge')).to.equal(undefined);
  });

  it('schedules no purge when PURGE_ENABLED=false, but still the hourly cleanup', async () => {
    const stop = startScheduler(depsWith({ enabled: false }));
    expect(scheduledJobs.find((j) => j.name === 'purge')).to.equal(undefined);
    const cleanup = scheduledJobs.find((j) => j.name === 'cleanup');
    expect(cleanup!.nextRun(new Date('2027-01-10T12:20:00Z'))!.toISOString()).to.equal('2027-01-10T13:17:00.000Z');
    await stop();
    expect(scheduledJobs.find((j) => j.name === 'cleanup')).to.equal(undefined);
    expect(context().logs.text()).to.contain('purge schedule disabled');
  });
});
