import { z } from 'zod';
import { CertPinSchema } from './pin';

/** The console's pairing endpoint: the agent POSTs a one-time code and gets its own secret back. */
export const PAIR_PATH = '/api/pair';

/** Codes are shown to people: no 0/O or 1/I/L, grouped as XXXX-XXXX. */
export const PAIRING_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** Upper-cases and drops spaces and dashes, so "k7q9 m2xd" and "K7Q9-M2XD" are the same code. */
export const normalizePairingCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');

export const PairRequestSchema = z.object({
  code: z.string().min(4).max(40),
  hostname: z.string().min(1).max(253),
});
export type PairRequest = z.infer<typeof PairRequestSchema>;

export const PairResponseSchema = z.object({
  machineId: z.string().min(1).max(100),
  secret: z.string().min(32).max(200),
});
export type PairResponse = z.infer<typeof PairResponseSchema>;

/** The link authenticates with `Authorization: Bearer <machineId>.<secret>` on the WebSocket upgrade. */
export const linkAuthorization = (machineId: string, secret: string): string =>
  `Bearer ${machineId}.${secret}`;

export function parseLinkAuthorization(
  header: string | undefined,
): { machineId: string; secret: string } | null {
  const match = /^Bearer ([A-Za-z0-9_-]{1,100})\.([A-Za-z0-9_-]{32,200})$/.exec(header ?? '');
  return match?.[1] && match[2] ? { machineId: match[1], secret: match[2] } : null;
}

/**
 * A machine's one name: what the console lists it as and what the agent sends the farm as its
 * hostname at login (the farm takes host names: letters, digits, '.', '-' and '_').
 */
export const MachineNameSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    "Use letters, digits, '.', '-' and '_' (at most 63, no spaces): the name is the machine's hostname on the farm.",
  );

/**
 * What pairing leaves on the agent's disk: enough to dial the console and authenticate. `pin`: the
 * console's certificate pin, checked on every connection to it (https consoles only; without one an
 * https console must present a certificate the system trusts).
 */
export const LinkCredentialsSchema = z
  .object({
    consoleUrl: z.url(),
    machineId: PairResponseSchema.shape.machineId,
    secret: PairResponseSchema.shape.secret,
    pin: CertPinSchema.optional(),
    /** The name the console gave this machine, kept for the logins before the link is up. */
    machineName: MachineNameSchema.optional(),
  })
  .refine((credentials) => !credentials.pin || credentials.consoleUrl.startsWith('https:'), {
    message: 'a certificate pin goes with an https console only',
    path: ['pin'],
  });
export type LinkCredentials = z.infer<typeof LinkCredentialsSchema>;
