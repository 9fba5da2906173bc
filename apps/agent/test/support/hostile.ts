// Helpers for the hostile-farm suite: a sentinel directory outside the agent's cache whose every
// file and directory is fingerprinted before and after, the path-traversal value that points into
// it from the cache, and a recorder server that must never hear from the agent.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Sentinel {
  dir: string;
  /** `../../…/<dir>/<name>`: from any directory of the agent's cache, it names `<dir>/<name>`. */
  traversal(name: string): string;
  /** Every entry under `dir`: type, size, mtime and content hash. */
  snapshot(): Record<string, string>;
}

/** A directory beside (not inside) the agent's cache, holding what a hostile farm would aim at. */
export function sentinelDir(): Sentinel {
  // Lower-case only: the agent lower-cases MD5s, and the traversal must name this very directory.
  const dir = path.join(tmpdir(), `flock-sentinel-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'important.zip'), 'existed before the run');
  writeFileSync(path.join(dir, 'important.blend'), 'BLENDER-v304 not for the farm');
  mkdirSync(path.join(dir, 'important'));
  writeFileSync(path.join(dir, 'important', 'keep.txt'), 'keep me');
  return {
    dir,
    traversal: (name) => `${'../'.repeat(24)}${dir.slice(1)}/${name}`,
    snapshot: () => fingerprint(dir),
  };
}

function fingerprint(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const info = lstatSync(file);
      const relative = path.relative(root, file);
      if (info.isDirectory()) {
        entries[relative] = `dir ${info.mtimeMs}`;
        walk(file);
      } else {
        const hash = createHash('md5').update(readFileSync(file)).digest('hex');
        entries[relative] = `file ${info.size} ${info.mtimeMs} ${hash}`;
      }
    }
  };
  walk(root);
  return entries;
}

export interface Recorder {
  url: string;
  /** Method and URL of every request received. */
  requests: string[];
  close(): Promise<void>;
}

/** A server on another port that a hostile farm points the agent at; it records and answers 200. */
export async function startRecorder(): Promise<Recorder> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    response.writeHead(200, { 'content-type': 'text/xml' }).end('<jobvalidate status="0"/>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
