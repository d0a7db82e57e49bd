import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface ServerProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>;
}

/** Runs `server/index.ts` (as `npm start` does, from the sources) in a child process. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const port = Number(env.PORT);
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'server/index.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PURGE_ENABLED: 'false',
      // The cheapest argon2id the config accepts (see test/helpers/context.ts).
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      SESSION_SECRET: 'child-secret-child-secret-child-secret-12',
      BASE_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  return { proc, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}

/** Starts the server and waits until GET /healthz answers. */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  const server = spawnServer(env);
  let gone = false;
  // Only notes that the process is gone; `exited` never rejects.
  void server.exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !gone) {
    try {
      const res = await fetch(`${server.url}/healthz`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.proc.kill('SIGKILL');
  throw new Error(`the server did not start: ${server.stderr()}${server.stdout()}`);
}
