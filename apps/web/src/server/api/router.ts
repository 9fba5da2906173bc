import { alertsRouter } from './routers/alerts';
import { auditRouter } from './routers/audit';
import { authRouter } from './routers/auth';
import { farmAccountRouter } from './routers/farm-account';
import { fleetRouter } from './routers/fleet';
import { fleetSettingsRouter } from './routers/fleet-settings';
import { historyRouter } from './routers/history';
import { machinesRouter } from './routers/machines';
import { profilesRouter } from './routers/profiles';
import { timelineRouter } from './routers/timeline';
import { updatesRouter } from './routers/updates';
import { usersRouter } from './routers/users';
import { router } from './trpc';

export const appRouter = router({
  alerts: alertsRouter,
  audit: auditRouter,
  auth: authRouter,
  farmAccount: farmAccountRouter,
  fleet: fleetRouter,
  fleetSettings: fleetSettingsRouter,
  history: historyRouter,
  machines: machinesRouter,
  profiles: profilesRouter,
  timeline: timelineRouter,
  updates: updatesRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
