// The console's public install routes (GET and HEAD only, no login, nothing secret):
//   /agent/manifest.json                     the current agent build: version, SHA-256s, URLs, minimum Node
//   /agent/builds/<sha256>/flock-agent.mjs   a kept build's bundle (immutable, named by its SHA-256)
//   /agent/builds/<sha256>/launcher.mjs      and its launcher
//   /install.sh, /install.ps1                the install scripts, filled in for this console
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AGENT_MANIFEST_PATH, INSTALL_PS1_PATH, INSTALL_SH_PATH, parseAgentBuildPath } from '@flock/protocol';
import { isSameOrigin } from '../auth/cookies';
import type { ConsoleCore } from '../core';
import { json } from '../http-io';
import { log } from '../log';
import { type InstallScript, installScript } from './scripts';

const SCRIPTS: Record<string, { name: InstallScript; type: string }> = {
  [INSTALL_SH_PATH]: { name: 'install.sh', type: 'text/x-shellscript; charset=utf-8' },
  [INSTALL_PS1_PATH]: { name: 'install.ps1', type: 'text/plain; charset=utf-8' },
};

/**
 * The console's origin as this request reached it: the scheme of its socket and its Host header,
 * accepted on the same terms as a browser's Origin (an IP or localhost, or a configured public URL:
 * a DNS name nobody configured could be a rebinding attack). Null when the Host is not acceptable.
 */
export function requestOrigin(req: IncomingMessage, allowedOrigins: readonly string[]): string | null {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const candidate = `${scheme}://${req.headers.host ?? ''}`;
  try {
    if (new URL(candidate).origin !== candidate) return null;
  } catch {
    return null;
  }
  return isSameOrigin({ headers: { origin: candidate, host: req.headers.host } }, allowedOrigins)
    ? candidate
    : null;
}

const NO_BUILD =
  'no agent build on this console yet: run `npm run build` where the console runs, then restart it';

function serveScript(
  core: ConsoleCore,
  req: IncomingMessage,
  res: ServerResponse,
  script: (typeof SCRIPTS)[string],
) {
  const manifest = core.agentBuilds.manifest();
  if (!manifest) return json(res, 503, { error: NO_BUILD });
  const consoleUrl = requestOrigin(req, core.allowedOrigins);
  if (!consoleUrl)
    return json(res, 400, {
      error:
        "open this URL by the console's IP address, or start the console with --public-url for this name",
    });
  const body = installScript(script.name, { consoleUrl, manifest, pin: core.certificatePin });
  res.writeHead(200, {
    'content-type': script.type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Agent downloads served at once: each holds a file and a socket; a burst beyond waits its turn. */
export const MAX_AGENT_DOWNLOADS = 32;
/** A download whose client stops reading is dropped after this long without progress. */
const DOWNLOAD_IDLE_MS = 60_000;
let downloads = 0;

function serveBuildFile(core: ConsoleCore, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const wanted = parseAgentBuildPath(path);
  if (!wanted) return false;
  const file = core.agentBuilds.file(wanted.sha256, wanted.file);
  if (!file) {
    json(res, 404, { error: 'no such agent build on this console' });
    return true;
  }
  if (downloads >= MAX_AGENT_DOWNLOADS) {
    log(
      'warn',
      `agent builds: ${MAX_AGENT_DOWNLOADS} downloads at once, refused one from ${req.socket.remoteAddress}`,
    );
    json(
      res,
      503,
      { error: 'too many agent downloads at once: try again in a minute' },
      { 'retry-after': '30' },
    );
    return true;
  }
  downloads++;
  const stream = createReadStream(file);
  res.once('close', () => {
    downloads--;
    stream.destroy(); // the client went away mid-download: the file is closed too
  });
  res.setTimeout(DOWNLOAD_IDLE_MS, () => res.destroy());
  stream.once('open', () => {
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
    } else stream.pipe(res);
  });
  stream.once('error', (error) => {
    log('error', `agent builds: cannot read ${file}: ${error.message}`);
    if (!res.headersSent) json(res, 500, { error: 'cannot read this agent build' });
    else res.destroy();
  });
  return true;
}

/** Answers an install route; false for any other path. */
export function serveInstallRoute(
  core: ConsoleCore,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  if (path === AGENT_MANIFEST_PATH) {
    const manifest = core.agentBuilds.manifest();
    if (manifest) json(res, 200, manifest);
    else json(res, 503, { error: NO_BUILD });
    return true;
  }
  const script = SCRIPTS[path];
  if (script) {
    serveScript(core, req, res, script);
    return true;
  }
  return path.startsWith('/agent/builds/') ? serveBuildFile(core, req, res, path) || notFound(res) : false;
}

function notFound(res: ServerResponse): true {
  json(res, 404, { error: 'not found' });
  return true;
}
