// Secrets the console must give back later (the farm account's render key) are kept encrypted at rest:
// AES-256-GCM from node:crypto with a random key in `<data>/secret.key` (0600), made on first start.
// A stolen database alone yields no render key. Each sealed value is bound to where it is stored
// (authenticated as additional data), so one row's ciphertext cannot be moved into another.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1:';

export const SECRET_KEY_FILE = 'secret.key';

/** The key file is missing its 32 bytes, or a sealed value does not open with it. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Reads `<dataDir>/secret.key`, making it (0600) on first start; a looser mode is tightened. */
  static open(dataDir: string): SecretBox {
    const file = join(dataDir, SECRET_KEY_FILE);
    let key: Buffer;
    try {
      writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
      log('info', `console: made the key that encrypts stored secrets, ${file}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      key = readFileSync(file);
    } catch (error) {
      throw new SecretBoxError(`cannot read ${file}: ${(error as Error).message}`);
    }
    if (key.length !== KEY_BYTES)
      throw new SecretBoxError(
        `${file} holds ${key.length} bytes, not ${KEY_BYTES}: restore it from a backup, or delete it (the stored farm accounts must then be entered again)`,
      );
    if ((statSync(file).mode & 0o077) !== 0) {
      chmodSync(file, 0o600);
      log('warn', `console: ${file} was readable by others; its mode is now 0600`);
    }
    return new SecretBox(key);
  }

  /** `v1:` and base64 of IV, tag and ciphertext; `context` names where the value is stored. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The plaintext, or SecretBoxError when the value was not sealed here, for this context, by this key. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(VERSION)) throw new SecretBoxError('not a sealed value');
    const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('a sealed value cut short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError('a sealed value does not open with this key');
    }
  }
}
