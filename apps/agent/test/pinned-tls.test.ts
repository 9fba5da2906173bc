// Requests to a pinned console (pairing, downloads from it): the pin is checked before any byte of the
// request leaves, and it is the pin curl and openssl compute for the same certificate.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CertificateMismatchError,
  certificateErrorCode,
  certificateMismatch,
  consoleDispatcher,
  parseFingerprint,
  pinnedDispatcher,
} from '../src/link/index.js';
import { cleanUp, tempDir } from './e2e-helpers.js';

afterEach(cleanUp);

/** A self-signed certificate for 127.0.0.1 made by openssl, and its pin computed the way curl's docs do. */
async function certificate(): Promise<{ cert: string; key: string; pin: string }> {
  const dir = await tempDir('cert');
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=console',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const pin = execFileSync('sh', [
    '-c',
    `openssl x509 -in '${certFile}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
  ])
    .toString()
    .trim();
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), pin: `sha256//${pin}` };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function pinnedConsole(cert: { cert: string; key: string }) {
  const requests: string[] = [];
  const server = createServer(cert, (req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.end('agent build');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('requests to a pinned console', () => {
  it('go through when the key is the pinned one (the pin openssl computes)', async () => {
    const own = await certificate();
    const { url, requests } = await pinnedConsole(own);
    const dispatcher = pinnedDispatcher(parseFingerprintOrThrow(own.pin), url);
    const response = await request(`${url}/agent/build`, {
      dispatcher,
      headers: { authorization: 'Bearer x' },
    });
    expect(await response.body.text()).toBe('agent build');
    expect(requests).toEqual(['GET /agent/build Bearer x']);
    await dispatcher.close();
  });

  it('are refused before anything is sent when the console presents another key', async () => {
    const [own, other] = [await certificate(), await certificate()];
    const { url, requests } = await pinnedConsole(other);
    const dispatcher = pinnedDispatcher(parseFingerprintOrThrow(own.pin), url);
    const failure = await request(`${url}/agent/build`, {
      dispatcher,
      headers: { authorization: 'Bearer x' },
    }).catch((error: unknown) => error);
    const mismatch = certificateMismatch(failure);
    expect(mismatch).toBeInstanceOf(CertificateMismatchError);
    expect(mismatch?.message).toBe(
      `the console at ${url} presented another certificate (pinned ${own.pin}, got ${other.pin}); if it was replaced on purpose, pair this machine again`,
    );
    expect(requests).toEqual([]);
    await dispatcher.close();
  });

  it('without a pin need a certificate the system trusts', async () => {
    const { url, requests } = await pinnedConsole(await certificate());
    const dispatcher = consoleDispatcher(url);
    const failure = await request(url, { dispatcher }).catch((error: unknown) => error);
    expect(certificateErrorCode(failure)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(requests).toEqual([]);
    await dispatcher.close();
  });
});

function parseFingerprintOrThrow(value: string) {
  const parsed = parseFingerprint(value);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.pin;
}
