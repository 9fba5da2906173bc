#!/usr/bin/env node
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientVersionSchema } from '@flock/protocol';
import type { AccountCredentials } from './accounts';
import { type AddProjectOptions, addProject } from './add-project';
import { ADMIN_TOKEN_MIN_LENGTH, isUsableToken } from './admin-token';
import { systemClock } from './clock';
import { openFarmDb } from './db/client';
import type { RendererChoice } from './demo';
import { startFarm } from './farm';
import { type FaultSpec, parseFaultSpec } from './faults';
import { createLogger, isLogLevel, type LogLevel } from './log';
import { ProjectStore } from './projects';
import { findBlender } from './renderer/index';

const HELP = `flock-farm — a local farm speaking the SheepIt protocol (the Flock sandbox farm)

Usage (from the repository root):
  npm run farm -- [--port P] [--data DIR] [options]          start the farm
  npm run farm -- add-project FILE.blend --frames A-B [...]  add a project to the farm in DIR
  npm run farm -- add-project --synthetic --frames A-B [...] add a synthetic test project

Farm options:
  --port P                  HTTP port (default 8080; 0 = any free port)
  --host H                  address to listen on (default 127.0.0.1; 0.0.0.0 serves other machines)
  --data DIR                data directory: database, archives, frames (default ./.flock-farm)
  --blender PATH            the Blender to render with (default $BLENDER_PATH, else blender on PATH)
  --renderer R              auto | synthetic | blender (default auto: Blender when found)
  --max-period S            seconds of silence after which a session is dead (default 1440)
  --account LOGIN:PASSWORD  an account (repeatable; default demo:demo)
  --admin-token T           the admin API's bearer token (default: $FLOCK_FARM_ADMIN_TOKEN, else a
                            random one made at first start in DIR/admin-token, mode 0600)
  --min-client-version V    refuse logins of clients older than V with 101 (e.g. 7.24086.0)
  --fault JSON              arm a fault from the start (repeatable), e.g.
                            '{"kind":"status","endpoint":"request-job","status":206,"forMs":60000}'
  --no-demo                 do not create the demo project on first start
  --log-level L             debug | info | warn | error | silent (default info)

add-project options:
  --frames A-B              frame range (required)
  --encryption E            zipcrypto | aes (default zipcrypto)
  --name NAME               project name (default: the file name)
  --engine E                CYCLES | BLENDER_EEVEE | BLENDER_WORKBENCH (default: read from the .blend)
  --resolution WxH          output size (default: read from the .blend)
  --samples N               samples (default: read from the .blend)
  --synthetic               a synthetic scene instead of a .blend (for tests)

  -h, --help                this help
`;

class UsageError extends Error {}

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  blender: { type: 'string' },
  renderer: { type: 'string' },
  'max-period': { type: 'string' },
  account: { type: 'string', multiple: true },
  'admin-token': { type: 'string' },
  fault: { type: 'string', multiple: true },
  'min-client-version': { type: 'string' },
  'no-demo': { type: 'boolean' },
  'log-level': { type: 'string' },
  frames: { type: 'string' },
  encryption: { type: 'string' },
  name: { type: 'string' },
  engine: { type: 'string' },
  resolution: { type: 'string' },
  samples: { type: 'string' },
  synthetic: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const [command, ...rest] = positionals;
  if (command === 'add-project') return addProjectCommand(values, rest);
  if (command !== undefined) throw new UsageError(`unknown command "${command}"`);
  return serve(values);
}

async function serve(values: Values): Promise<void> {
  const farm = await startFarm({
    dataDir: resolve(values.data ?? '.flock-farm'),
    port: integer('--port', values.port ?? '8080', 0, 65_535),
    host: values.host ?? '127.0.0.1',
    blender: values.blender,
    renderer: rendererChoice(values.renderer),
    maxPeriodSeconds:
      values['max-period'] === undefined ? undefined : integer('--max-period', values['max-period'], 1),
    accounts: values.account?.map(account),
    faults: values.fault?.map(fault),
    minClientVersion: clientVersion(values['min-client-version']),
    demoProject: !values['no-demo'],
    logLevel: logLevel(values['log-level']),
    adminToken: adminToken(values['admin-token'] ?? (process.env.FLOCK_FARM_ADMIN_TOKEN || undefined)),
  });
  process.stdout.write(`flock-farm listening on ${farm.url} (data: ${farm.dataDir})\n`);
  // The token itself is never printed: it is a secret, and this output often ends up in logs.
  process.stdout.write(
    `admin API: ${farm.url}/admin/… with Authorization: Bearer <token> (token ${farm.adminTokenFile ? `in ${farm.adminTokenFile}` : 'as given with --admin-token or FLOCK_FARM_ADMIN_TOKEN'})\n`,
  );
  const stop = () => {
    farm.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function addProjectCommand(values: Values, files: string[]): Promise<void> {
  if (values.frames === undefined) throw new UsageError('add-project needs --frames A-B');
  if (files.length > 1) throw new UsageError('add-project takes one .blend file');
  if (files.length === 0 && !values.synthetic) {
    throw new UsageError('add-project needs FILE.blend (or --synthetic)');
  }
  const project = projectOptions(values, files[0]);
  const dataDir = resolve(values.data ?? '.flock-farm');
  const log = createLogger({ level: logLevel(values['log-level']) });
  await mkdir(dataDir, { recursive: true });
  const db = openFarmDb(resolve(dataDir, 'farm.sqlite'));
  try {
    const projects = new ProjectStore(db, systemClock, log);
    const blender = findBlender(values.blender);
    const added = await addProject({ dataDir, projects, blender, log }, project);
    process.stdout.write(`project ${added.id} "${added.name}" added: frames ${added.frames.join('-')}\n`);
  } finally {
    db.$client.close();
  }
}

function projectOptions(values: Values, blendFile: string | undefined): AddProjectOptions {
  const frames = /^(\d+)-(\d+)$/.exec(values.frames ?? '');
  if (!frames) throw new UsageError(`--frames must look like 1-100, got "${values.frames}"`);
  const resolution = values.resolution === undefined ? undefined : /^(\d+)x(\d+)$/.exec(values.resolution);
  if (resolution === null)
    throw new UsageError(`--resolution must look like 1920x1080, got "${values.resolution}"`);
  const encryption = values.encryption;
  if (encryption !== undefined && encryption !== 'zipcrypto' && encryption !== 'aes') {
    throw new UsageError(`--encryption must be zipcrypto or aes, got "${encryption}"`);
  }
  return {
    blendFile: blendFile === undefined ? undefined : resolve(blendFile),
    name: values.name,
    frames: [Number(frames[1]), Number(frames[2])],
    encryption,
    engine: values.engine as AddProjectOptions['engine'],
    resolution: resolution ? [Number(resolution[1]), Number(resolution[2])] : undefined,
    samples: values.samples === undefined ? undefined : integer('--samples', values.samples, 1),
  };
}

function integer(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function account(text: string): AccountCredentials {
  const separator = text.indexOf(':');
  if (separator <= 0 || separator === text.length - 1) {
    throw new UsageError(`--account must look like login:password, got "${text}"`);
  }
  return { login: text.slice(0, separator), password: text.slice(separator + 1) };
}

function fault(text: string): FaultSpec {
  try {
    return parseFaultSpec(text);
  } catch (error) {
    throw new UsageError(`--fault: ${(error as Error).message}`);
  }
}

function adminToken(text: string | undefined): string | undefined {
  if (text === undefined || isUsableToken(text)) return text;
  throw new UsageError(
    `--admin-token (or FLOCK_FARM_ADMIN_TOKEN) must be at least ${ADMIN_TOKEN_MIN_LENGTH} printable characters without spaces`,
  );
}

function clientVersion(text: string | undefined): string | undefined {
  const result = text === undefined ? undefined : ClientVersionSchema.safeParse(text);
  if (result && !result.success)
    throw new UsageError(`--min-client-version must look like 7.24086.0, got "${text}"`);
  return result?.data;
}

function rendererChoice(text: string | undefined): RendererChoice | undefined {
  if (text === undefined || text === 'auto' || text === 'synthetic' || text === 'blender') return text;
  throw new UsageError(`--renderer must be auto, synthetic or blender, got "${text}"`);
}

function logLevel(text: string | undefined): LogLevel | undefined {
  if (text === undefined || isLogLevel(text)) return text;
  throw new UsageError(`--log-level must be debug, info, warn, error or silent, got "${text}"`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage =
    error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`flock-farm: ${(error as Error).message}${usage ? ' (see --help)' : ''}\n`);
  process.exit(usage ? 2 : 1);
});
