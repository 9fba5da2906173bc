import { crc32, deflateSync } from 'node:zlib';
import type { SimulatedAgent } from 'flock-agent/testing';

/** A small real PNG (a gradient that shifts with `seed`), as a thumbnail would be. */
export function gradientPng(width: number, height: number, seed: number): string {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows.set([(x * 255) / width, (y * 255) / height, (seed * 47) % 256], row + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

/**
 * One simulation step: a rendering agent advances its frame; at 100 % the frame is done (event with
 * thumbnail, credits) and the next one starts. A paused or stopped agent does nothing.
 */
export function step(agent: SimulatedAgent, increment = 0.1): void {
  const state = agent.state();
  if (state.status === 'paused' || state.status === 'stopped') return;
  const now = Date.now();
  const job = state.job;
  if (!job) {
    const frame = state.stats.framesRendered + 1;
    agent.update({
      status: 'rendering',
      reason: null,
      usage: { cpuPercent: 760 + Math.round(Math.random() * 40), memoryBytes: Math.round(1.2 * 2 ** 30) },
      job: {
        id: `job-${frame}`,
        project: 'Classroom demo',
        frame,
        phase: 'render',
        progress: 0,
        etaSeconds: null,
        device: 'CPU',
        startedAt: now,
      },
    });
    agent.addLog({
      at: now,
      level: 'info',
      message: 'job received',
      fields: { job: `job-${frame}`, project: 'Classroom demo', frame: String(frame).padStart(4, '0') },
    });
    return;
  }
  const progress = Math.min(1, (job.progress ?? 0) + increment);
  if (progress < 1) {
    const elapsed = (now - job.startedAt) / 1000;
    agent.update({ job: { ...job, progress, etaSeconds: (elapsed / progress) * (1 - progress) } });
    return;
  }
  const renderTimeMs = now - job.startedAt;
  const pausing = state.afterFrame === 'pause';
  agent.update({
    job: null,
    status: pausing ? 'paused' : 'idle',
    usage: { cpuPercent: 3, memoryBytes: 180 * 2 ** 20 },
    reason: pausing
      ? { code: 'paused-by-user', message: 'Paused from the console', until: null }
      : { code: 'no-job', message: 'Asking for the next job', until: null },
    stats: {
      ...state.stats,
      framesRendered: state.stats.framesRendered + 1,
      creditsSession: state.stats.creditsSession + 12,
      renderTimeMsTotal: state.stats.renderTimeMsTotal + renderTimeMs,
    },
    lastFramePath: `/tmp/flock-sim/frame-${job.frame}.png`,
  });
  agent.addLog({
    at: now,
    level: 'info',
    message: `Frame ${job.frame} done in ${(renderTimeMs / 1000).toFixed(1)} s`,
  });
  agent.emit({
    kind: 'frame-done',
    jobId: job.id,
    project: job.project,
    frame: job.frame,
    renderTimeMs,
    credits: 12,
    thumbnail: { mime: 'image/png', base64: gradientPng(64, 48, job.frame) },
  });
}

export type TroubleScenario = 'farm-unreachable' | 'login-refused';

/** A machine in trouble instead of rendering, as the real agent reports it (for the e2e and demos). */
export function troubled(agent: SimulatedAgent, scenario: TroubleScenario, now = Date.now()): void {
  const blockedProjects = [
    {
      archiveMd5: '5d41402abc4b2a76b9719d911017c592',
      name: 'Crashing smoke sim',
      blockedAt: now - 3_600_000,
      scope: 'machine' as const,
    },
  ];
  if (scenario === 'farm-unreachable') {
    agent.update({
      status: 'error',
      job: null,
      blockedProjects,
      reason: {
        code: 'farm-unreachable',
        message: 'The farm did not answer in time.',
        since: now - 4 * 60_000,
        until: now + 2 * 60_000,
        detail: 'https://client.sheepit-renderfarm.com/server/request_job.php: Headers Timeout Error',
      },
    });
    agent.addLog({ at: now, level: 'warn', message: 'job request failed error="Headers Timeout Error"' });
    return;
  }
  agent.update({
    status: 'error',
    job: null,
    session: null,
    reason: {
      code: 'login-refused',
      message:
        "The farm refuses client version 0.1.0 as too old. Set the official SheepIt client's current " +
        'version for the fleet in the console (Fleet settings), or start this agent with --client-version.',
      until: null,
      detail: 'login refused: 101 CLIENT_TOO_OLD: the farm refuses client version 0.1.0 as too old.',
    },
  });
}
