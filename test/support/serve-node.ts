import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** One `orgvault serve` child process and where it listens. */
export interface ServeNode {
  child: ChildProcess;
  url: string;
}

/** Starts `orgvault serve --port 0` in a child process and resolves with its address once it listens. */
export function startNode(env: Record<string, string>): Promise<ServeNode> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`node did not start: ${err}`)), 60_000);
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${err}`));
    });
  });
}
