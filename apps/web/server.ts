// The console's entry point: `npm run console -- [--host H] [--port P] [--data DIR] [--dev]` from the
// repository root, i.e. `node --import tsx server.ts …`. One port serves the pages (Next), the browser
// API (tRPC), the agents' WebSocket link and what a new machine installs the agent from.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FarmServerUrlSchema } from '@flock/protocol';
import next from 'next';
import { setUpDemoFarm } from './src/server/demo-farm';
import type { UpgradeListener } from './src/server/http';
import { log } from './src/server/log';
import { startConsole } from './src/server/start';
import { chooseTransport } from './src/server/tls/transport';

// `pnpm … start -- --port 3000` hands the script a literal `--` first: it ends no options here.
const args = process.argv.slice(2);
const { values } = parseArgs({
  args: args[0] === '--' ? args.slice(1) : args,
  options: {
    host: { type: 'string', default: process.env.FLOCK_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.FLOCK_PORT ?? process.env.PORT ?? '3000' },
    data: {
      type: 'string',
      default: process.env.FLOCK_DATA_DIR ?? resolve(import.meta.dirname, '../../.data/console'),
    },
    'public-url': { type: 'string', multiple: true, default: [] },
    'pairing-code-file': { type: 'string' },
    'demo-farm': { type: 'string' },
    'agent-dist': { type: 'string', default: resolve(import.meta.dirname, '../agent/dist') },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'insecure-http': { type: 'boolean', default: false },
    dev: { type: 'boolean', default: process.env.NODE_ENV === 'development' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run console -- [options]   (from the repository root; npm run build first)
  --host H          address to listen on (default 127.0.0.1; use 0.0.0.0 for other machines)
  --port P          port (default 3000)
  --data DIR        where the SQLite database lives (default .data/console)
  --public-url URL  an extra origin browsers use to reach the console (repeatable), e.g. https://flock.lan
  --tls-cert FILE, --tls-key FILE  serve HTTPS with this PEM certificate and key. Off loopback the
                    console serves HTTPS anyway, with a certificate it makes on first start (DIR/tls/)
  --insecure-http   plain HTTP off loopback (a warning in the console; the farm account is then never
                    sent to agents)
  --dev             Next.js development mode (hot reload)
  --pairing-code-file PATH  issue one pairing code at start and write it there (0600), for a local
                    launcher that pairs an agent on this machine (npm start does)
  --demo-farm URL   on first start, machines without a farm server of their own log in to this
                    farm with its demo account (demo/demo); an admin changes both in Fleet settings
                    later, and this flag then changes nothing (npm start passes its sandbox farm)
  --agent-dist DIR  the agent build new machines install (default apps/agent/dist)
Environment: FLOCK_ADMIN_PASSWORD sets the admin password on first start (headless installs).
  FLOCK_ALERT_WEBHOOK_URL: alerts are also POSTed there as JSON (besides webhooks set in the console).`);
  process.exit(0);
}

/** A relative path as the user typed it: npm and pnpm run this from apps/web, INIT_CWD is where they were run. */
const fromInvocation = (path: string): string => resolve(process.env.INIT_CWD ?? process.cwd(), path);

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`flock console: --port must be 0-65535, got "${values.port}"`);
  process.exit(2);
}

const demoFarm =
  values['demo-farm'] === undefined ? undefined : FarmServerUrlSchema.safeParse(values['demo-farm']);
if (demoFarm && !demoFarm.success) {
  console.error(`flock console: --demo-farm must be an http(s) URL without credentials`);
  process.exit(2);
}

const transport = chooseTransport({
  host: values.host,
  tlsCert: values['tls-cert'] === undefined ? undefined : fromInvocation(values['tls-cert']),
  tlsKey: values['tls-key'] === undefined ? undefined : fromInvocation(values['tls-key']),
  insecureHttp: values['insecure-http'],
});
if ('error' in transport) {
  console.error(`flock console: ${transport.error}`);
  process.exit(2);
}

// Next gets a stand-in httpServer so its upgrade listener is captured here instead of being attached
// to the real server, where it would also receive (and close) the agents' /link sockets
// (docs/stack.md §2.1).
let nextUpgrade: UpgradeListener | undefined;
const upgradeCatcher = {
  on(event: string, listener: UpgradeListener) {
    if (event === 'upgrade') nextUpgrade = listener;
    return upgradeCatcher;
  },
};
const app = next({
  dev: values.dev,
  dir: import.meta.dirname,
  hostname: values.host,
  port,
  httpServer: upgradeCatcher as never,
});
const handle = app.getRequestHandler();
await app.prepare().catch((error: Error) => {
  console.error(`flock console: the pages are not built (${error.message}).`);
  console.error('Run `npm run build` first (from the repository root), or start with --dev.');
  process.exit(1);
});

const consoleServer = await startConsole({
  host: values.host,
  port,
  transport: transport.transport,
  ...(transport.tlsFiles ? { tlsFiles: transport.tlsFiles } : {}),
  dataDir: fromInvocation(values.data),
  publicOrigins: values['public-url'].map((url) => new URL(url).origin),
  secureCookies: values['public-url'].some((url) => url.startsWith('https:')),
  adminPassword: process.env.FLOCK_ADMIN_PASSWORD || undefined,
  ...(process.env.FLOCK_ALERT_WEBHOOK_URL ? { alertWebhookUrl: process.env.FLOCK_ALERT_WEBHOOK_URL } : {}),
  agentDist: fromInvocation(values['agent-dist']),
  pages: (req, res) => void handle(req, res),
  pagesUpgrade: () => nextUpgrade,
}).catch((error: Error) => {
  console.error(`flock console: ${error.message}`);
  process.exit(1);
});

if (demoFarm?.success) await setUpDemoFarm(consoleServer.core, demoFarm.data);

if (values['pairing-code-file']) {
  const { code } = await consoleServer.core.pairing.createCode();
  await writeFile(fromInvocation(values['pairing-code-file']), `${code}\n`, { mode: 0o600 });
}

const needsSetup = await consoleServer.core.auth.needsSetup();
log('info', `console: listening on ${consoleServer.url}`);
console.log(`\nFlock console: ${consoleServer.url}`);
if (consoleServer.certificate)
  console.log(`Certificate pin (agents check it): ${consoleServer.certificate.pin}`);
console.log(needsSetup ? 'First start: open it and choose the admin password.\n' : 'Log in as admin.\n');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  log('info', `console: ${signal}, stopping`);
  await consoleServer.stop();
  await app.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
