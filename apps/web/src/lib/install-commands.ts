// The one command per OS that "Add machine" shows, with the pairing code filled in. On HTTPS with
// the console's own certificate, the pin goes into the command: curl checks it (`-k` skips the
// certificate chain, which a self-signed certificate has none of; curl still refuses any other key
// with `--pinnedpubkey`, checked with curl 7.88), and the agent pins it for every later connection.
import { CertPinSchema, INSTALL_PS1_PATH, INSTALL_SH_PATH } from '@flock/protocol';

export interface InstallCommands {
  /** Linux and macOS: install.sh through sh, a service (systemd, launchd). */
  unix: string;
  /** Windows PowerShell: install.ps1, a Scheduled Task. */
  windows: string;
  /** A developer's clone of the repository: pair the agent it runs. */
  clone: string;
}

/** Pairing codes as the console makes them: letters, digits and dashes (no quoting needed). */
const CODE = /^[A-Za-z0-9-]{4,40}$/;

export function installCommands(input: {
  consoleUrl: string;
  code: string;
  pin?: string | null;
}): InstallCommands {
  const origin = new URL(input.consoleUrl).origin;
  if (!CODE.test(input.code)) throw new Error('a pairing code is letters, digits and dashes');
  const pin = input.pin ?? null;
  if (pin !== null && !CertPinSchema.safeParse(pin).success)
    throw new Error('a certificate pin is sha256//<base64>');
  if (pin === null) {
    return {
      unix: `curl -fsSL ${origin}${INSTALL_SH_PATH} | sh -s -- ${input.code}`,
      windows: `$env:FLOCK_PAIRING_CODE='${input.code}'; irm ${origin}${INSTALL_PS1_PATH} | iex`,
      clone: `npm run agent -- pair ${origin} ${input.code}`,
    };
  }
  return {
    unix: `curl -fsSLk --pinnedpubkey '${pin}' ${origin}${INSTALL_SH_PATH} | sh -s -- ${input.code} --fingerprint '${pin}'`,
    windows: `$env:FLOCK_PAIRING_CODE='${input.code}'; $env:FLOCK_FINGERPRINT='${pin}'; irm ${origin}${INSTALL_PS1_PATH} | iex`,
    clone: `npm run agent -- pair ${origin} ${input.code} --fingerprint '${pin}'`,
  };
}
