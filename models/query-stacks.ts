import type { Sequelize } from 'sequelize';

// Sequelize makes an Error in every query it runs (`errForStack`) so that a failed
// query's error can point at the code that asked for it; the SQLite dialect even turns
// that Error's stack into text on every successful query. Capturing and formatting a
// stack trace per query was a visible share of the server's time under load. Outside
// development the capture is switched off while Sequelize prepares a query (the stack
// trace limit is 0 for that synchronous moment): a database error then still says what
// failed and in which SQL, only without the caller's frames.

const patched = new WeakSet<object>();

export function skipQueryStackTraces(sequelize: Sequelize): void {
  const { Query } = (sequelize as unknown as { dialect: { Query: { prototype: { run: (...args: unknown[]) => unknown } } } })
    .dialect;
  const proto = Query.prototype;
  if (patched.has(proto)) return;
  patched.add(proto);
  const run = proto.run;
  proto.run = function (this: unknown, ...args: unknown[]) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return run.apply(this, args);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}
