import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { padFrame } from '@flock/protocol';
import type { FastifyInstance } from 'fastify';
import type { FarmContext } from '../context';
import type { ProjectRow, SessionRow } from '../db/schema';

/** A small read-only status page at `/`: projects, sessions and the last frames. The real UI is the console. */
export function registerStatusPage(app: FastifyInstance, context: FarmContext): void {
  app.get('/', async (_request, reply) => {
    context.sessions.reapExpired();
    return reply.type('text/html; charset=utf-8').send(statusPage(context));
  });

  app.get<{ Params: { project: string; frame: string } }>(
    '/frames/:project/:frame',
    async (request, reply) => {
      const { project, frame } = request.params;
      const match = /^(\d{1,9})\.png$/.exec(frame);
      const row =
        /^\d{1,9}$/.test(project) && match
          ? context.projects.frame(Number(project), Number(match[1]))
          : undefined;
      if (!row?.imageFile) return reply.code(404).type('text/plain; charset=utf-8').send('no such frame\n');
      return reply.type('image/png').send(createReadStream(join(context.dataDir, row.imageFile)));
    },
  );
}

function statusPage(context: FarmContext): string {
  const projects = context.projects.list();
  const sessions = context.sessions.list().slice(-20).reverse();
  const recent = context.projects.recentFrames(12);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>Flock sandbox farm</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2433;background:#f7f6f2}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.05rem;margin:1.8rem 0 .6rem}
p.sub{color:#5b6475;margin:0}table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px;overflow:hidden}
th,td{text-align:left;padding:.45rem .7rem;border-bottom:1px solid #eceae4}th{font-weight:600;background:#efede7}
.bar{background:#e4e2dc;border-radius:3px;height:.55rem;width:9rem;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;background:#3d7a5f;border-radius:3px}
.tag{font-size:.75rem;padding:.05rem .4rem;border-radius:3px;background:#efe3c6}
.frames{display:flex;flex-wrap:wrap;gap:.8rem}.frames figure{margin:0;text-align:center;font-size:.75rem;color:#5b6475}
.frames img{display:block;width:128px;image-rendering:pixelated;border-radius:4px;background:#ddd}
</style></head><body>
<h1>Flock sandbox farm</h1><p class="sub">A local SheepIt-protocol farm. This page refreshes every 10 s.</p>
<h2>Projects</h2>${projects.length === 0 ? '<p>No project yet.</p>' : projectTable(context, projects)}
<h2>Sessions</h2>${sessions.length === 0 ? '<p>No client has logged in yet.</p>' : sessionTable(context, sessions)}
<h2>Last frames</h2>${
    recent.length === 0
      ? '<p>No frame rendered yet.</p>'
      : `<div class="frames">${recent
          .map(
            (frame) =>
              `<figure><img src="/frames/${frame.projectId}/${frame.number}.png" alt="frame ${frame.number}">` +
              `project ${frame.projectId} · frame ${padFrame(frame.number)}</figure>`,
          )
          .join('')}</div>`
  }
</body></html>
`;
}

function projectTable(context: FarmContext, projects: ProjectRow[]): string {
  const rows = projects.map((project) => {
    const frames = context.projects.frames(project.id);
    const done = frames.filter((frame) => frame.state === 'done').length;
    const rendering = frames.filter((frame) => frame.state === 'rendering').length;
    const percent = frames.length === 0 ? 0 : Math.round((100 * done) / frames.length);
    const label = project.renderer === 'synthetic' ? ' <span class="tag">synthetic</span>' : '';
    return `<tr><td>${project.id}</td><td>${escapeHtml(project.name)}${label}</td><td>${project.state}</td>
<td><span class="bar"><i style="width:${percent}%"></i></span> ${done}/${frames.length}</td><td>${rendering}</td>
<td>${project.width}×${project.height}, ${escapeHtml(project.engine)}, ${project.samples} samples</td></tr>`;
  });
  return `<table><tr><th>#</th><th>Name</th><th>State</th><th>Done</th><th>Rendering</th><th>Settings</th></tr>${rows.join('')}</table>`;
}

function sessionTable(context: FarmContext, sessions: SessionRow[]): string {
  const now = context.clock.now();
  const rows = sessions.map(
    (session) => `<tr><td>${escapeHtml(session.login)}</td><td>${escapeHtml(session.hostname ?? '—')}</td>
<td>${session.state}${session.paused ? ' (paused)' : ''}</td><td>${Math.max(0, Math.round((now - session.lastSeenAt) / 1000))} s ago</td>
<td>${session.creditsSession}</td><td>${escapeHtml(session.cpuModelName)} ×${session.cpuCores}</td></tr>`,
  );
  return `<table><tr><th>Login</th><th>Host</th><th>State</th><th>Last request</th><th>Credits</th><th>CPU</th></tr>${rows.join('')}</table>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
