import { z } from 'zod';

// The SheepIt account the console hands its agents (fleet-wide, or one machine's own). It travels only
// in its own `farm-account` message and only over a link that is encrypted (TLS) or stays on this
// machine (loopback); over any other link the console sends `farm-account-withheld` instead.

/** No control characters: a value that could break a log line or a form field is not a login or key. */
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters');

export const FarmAccountSchema = z.object({
  /** The SheepIt user name. */
  login: printable(100),
  /** The account's render key (or password): what the farm's login takes as `password`. */
  renderKey: printable(200),
});
export type FarmAccount = z.infer<typeof FarmAccountSchema>;

/** Which account an agent logs in with: its own settings, the console's, or none yet. */
export const FarmAccountSourceSchema = z.enum(['local', 'console', 'none']);
export type FarmAccountSource = z.infer<typeof FarmAccountSourceSchema>;

/** Why the console did not send the account: `plain-link`, a link neither TLS nor loopback. */
export const FarmAccountWithheldReasonSchema = z.enum(['plain-link']);
export type FarmAccountWithheldReason = z.infer<typeof FarmAccountWithheldReasonSchema>;
