import { authRouter } from './routers/auth';
import { fleetRouter } from './routers/fleet';
import { machinesRouter } from './routers/machines';
import { usersRouter } from './routers/users';
import { router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  fleet: fleetRouter,
  machines: machinesRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
