// The service files an install writes, for every OS: systemd units checked by systemd-analyze,
// the LaunchAgent and the Scheduled Task by their content, paths with awkward characters quoted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { homeLayout } from '../src/install/layout.js';
import { servicePlan } from '../src/install/service.js';
import {
  launchdPlist,
  posixWrapper,
  scheduledTaskXml,
  systemdUnit,
  utf16le,
  windowsServiceScript,
  windowsWrapper,
} from '../src/install/service-files.js';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flock-service-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `systemd-analyze verify` on a unit file: its complaints (none for a good unit). */
function verify(unit: string): string {
  const file = path.join(dir, 'flock-agent.service');
  writeFileSync(file, unit);
  const result = spawnSync(SYSTEMD_ANALYZE, ['verify', file], { encoding: 'utf8' });
  return `${result.status === 0 ? '' : `exit ${result.status}\n`}${result.stderr}`.trim();
}

describe.skipIf(!existsSync(SYSTEMD_ANALYZE))('systemd units', () => {
  it('a system unit: HOME carried, started after the network, wanted by multi-user.target', () => {
    const unit = systemdUnit(
      { node: process.execPath, launcher: '/opt/flock-agent/launcher.mjs', env: { HOME: '/root' } },
      'system',
    );
    expect(unit).toContain('After=network-online.target');
    expect(unit).toContain('Environment=HOME=/root');
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(unit).toContain('KillMode=mixed');
    expect(verify(unit)).toBe('');
  });

  it('quotes paths with spaces, quotes, % and $ so systemd reads them back as they are', () => {
    const launcher = '/home/ann/My "Agents" 100%/$HOME/launcher.mjs';
    const unit = systemdUnit(
      { node: process.execPath, launcher, env: { XDG_CONFIG_HOME: '/home/ann/conf 50%' } },
      'user',
    );
    expect(unit).toContain(String.raw`"/home/ann/My \"Agents\" 100%%/$$HOME/launcher.mjs" run`);
    expect(unit).toContain('Environment="XDG_CONFIG_HOME=/home/ann/conf 50%%"');
    expect(unit).not.toContain('network-online');
    expect(verify(unit)).toBe('');
  });

  it('a unit whose node is missing is what systemd-analyze refuses (the check can fail)', () => {
    const unit = systemdUnit(
      { node: '/nowhere/node', launcher: '/opt/flock-agent/launcher.mjs', env: {} },
      'system',
    );
    expect(verify(unit)).toMatch(/\/nowhere\/node is not executable/);
  });
});

describe('other service files', () => {
  const command = {
    node: '/usr/local/bin/node',
    launcher: '/Users/ann/Library/Application Support/flock-agent/launcher.mjs',
    env: {},
  };

  it('a LaunchAgent kept alive, run at load, with the supervisor named and its log in ~/Library/Logs', () => {
    const plist = launchdPlist(command, '/Users/ann/Library/Logs/flock-agent.log');
    expect(plist).toContain('<key>KeepAlive</key>\n  <true/>');
    expect(plist).toContain('<key>RunAtLoad</key>\n  <true/>');
    expect(plist).toContain('<key>FLOCK_SUPERVISOR</key>\n    <string>launchd</string>');
    expect(plist).toContain(
      '    <string>/usr/local/bin/node</string>\n    <string>--liftoff-only</string>\n    <string>--max-semi-space-size=1</string>\n' +
        '    <string>/Users/ann/Library/Application Support/flock-agent/launcher.mjs</string>\n    <string>run</string>',
    );
    expect(launchdPlist({ ...command, launcher: '/a&b<c>/l.mjs' }, '/l')).toContain(
      '<string>/a&amp;b&lt;c&gt;/l.mjs</string>',
    );
  });

  it('a Scheduled Task at start-up, no time limit, whose script restarts the agent when it exits', () => {
    const windows = {
      node: 'C:\\Program Files\\nodejs\\node.exe',
      launcher: 'C:\\Users\\ann\\AppData\\Local\\flock-agent\\launcher.mjs',
      env: {},
    };
    const script = windowsServiceScript(windows);
    expect(script.split('\r\n')).toEqual([
      '@echo off',
      'rem The Flock agent, started by the "Flock agent" scheduled task; written by `flock-agent install`.',
      'set FLOCK_SUPERVISOR=schtasks',
      ':start',
      '"C:\\Program Files\\nodejs\\node.exe" --liftoff-only --max-semi-space-size=1 "C:\\Users\\ann\\AppData\\Local\\flock-agent\\launcher.mjs" run',
      'timeout /t 5 /nobreak >nul',
      'goto start',
      '',
    ]);
    const xml = scheduledTaskXml(
      'C:\\Users\\ann\\AppData\\Local\\flock-agent\\bin\\flock-agent-service.cmd',
      'PC\\ann',
    );
    expect(xml).toContain('<BootTrigger><Enabled>true</Enabled></BootTrigger>');
    expect(xml).toContain('<UserId>PC\\ann</UserId><LogonType>S4U</LogonType>');
    expect(xml).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(utf16le(xml).subarray(0, 4)).toEqual(Buffer.from([0xff, 0xfe, 0x3c, 0x00]));
    expect(windowsWrapper(windows)).toBe(
      '@"C:\\Program Files\\nodejs\\node.exe" --liftoff-only --max-semi-space-size=1 "C:\\Users\\ann\\AppData\\Local\\flock-agent\\launcher.mjs" %*\r\n',
    );
  });

  it('the sh wrapper passes its arguments on and survives a quote in a path', () => {
    const wrapper = posixWrapper({
      node: process.execPath,
      launcher: path.join(dir, "it's here", 'launcher.mjs'),
    });
    const file = path.join(dir, 'flock-agent');
    writeFileSync(
      file,
      wrapper.replace(
        / --liftoff-only --max-semi-space-size=1 .*"\$@"/,
        ' -e "console.log(JSON.stringify(process.argv.slice(1)))" -- "$@"',
      ),
    );
    expect(spawnSync('sh', [file, 'status', '--cache-dir', 'a b'], { encoding: 'utf8' }).stdout.trim()).toBe(
      '["status","--cache-dir","a b"]',
    );
    expect(wrapper).toContain(`'${dir}/it'\\''s here/launcher.mjs' "$@"`);
  });

  it('plans per OS: unit paths and commands', () => {
    const base = {
      layout: homeLayout('/h/flock-agent'),
      node: '/usr/bin/node',
      userHome: '/h',
      username: 'ann',
      uid: 501,
      env: {},
    };
    expect(servicePlan({ ...base, platform: 'linux', scope: 'system' }).files[0]?.path).toBe(
      '/etc/systemd/system/flock-agent.service',
    );
    const mac = servicePlan({ ...base, platform: 'darwin', scope: 'user' });
    expect(mac.files[0]?.path).toBe('/h/Library/LaunchAgents/org.flock.agent.plist');
    expect(mac.start.map((s) => s.argv.join(' '))).toEqual([
      'launchctl bootout gui/501/org.flock.agent',
      'launchctl bootstrap gui/501 /h/Library/LaunchAgents/org.flock.agent.plist',
    ]);
    const win = servicePlan({
      ...base,
      layout: homeLayout('C:\\Users\\ann\\AppData\\Local\\flock-agent', 'win32'),
      platform: 'win32',
      scope: 'user',
    });
    expect(win.start.map((s) => s.argv.join(' '))).toEqual([
      'schtasks /Create /TN Flock agent /XML C:\\Users\\ann\\AppData\\Local\\flock-agent\\flock-agent-task.xml /F',
      'schtasks /Run /TN Flock agent',
    ]);
  });
});
