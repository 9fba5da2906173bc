// The transform chain for one entry: raw bytes → decipher → inflate → size/CRC guard.
import { crc32 } from 'node:zlib';
import type { Entry } from 'yauzl';
import { CheckedTransform } from './checked-transform.js';
import { ArchiveError } from './errors.js';
import { AES_COMPRESSION_METHOD, AesDecipher, type AesParameters, readAesParameters } from './winzip-aes.js';
import { ZipCryptoDecipher } from './zip-crypto.js';

const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;

/** How an entry's bytes are encoded, worked out from the central directory before anything is written. */
export interface EntryEncoding {
  encryption: 'none' | 'zip-crypto' | 'aes';
  aes?: AesParameters;
  compressionMethod: number;
  /** AE-2 stores no CRC (the HMAC protects the data instead). */
  checkCrc: boolean;
}

export function entryEncoding(entry: Entry, name: string): EntryEncoding {
  const encrypted = (entry.generalPurposeBitFlag & FLAG_ENCRYPTED) !== 0;
  if (encrypted && (entry.generalPurposeBitFlag & FLAG_STRONG_ENCRYPTION) !== 0) {
    throw new ArchiveError('unsupported', `${name}: PKWARE strong encryption is not supported`);
  }
  let encoding: EntryEncoding;
  if (entry.compressionMethod === AES_COMPRESSION_METHOD) {
    if (!encrypted) throw new ArchiveError('corrupt', `${name}: AES method on an unencrypted entry`);
    const aes = readAesParameters(entry.extraFields);
    encoding = {
      encryption: 'aes',
      aes,
      compressionMethod: aes.compressionMethod,
      checkCrc: aes.version === 1,
    };
  } else {
    encoding = {
      encryption: encrypted ? 'zip-crypto' : 'none',
      compressionMethod: entry.compressionMethod,
      checkCrc: true,
    };
  }
  if (encoding.compressionMethod !== STORED && encoding.compressionMethod !== DEFLATED) {
    throw new ArchiveError(
      'unsupported',
      `${name}: compression method ${encoding.compressionMethod} is not supported`,
    );
  }
  return encoding;
}

export function decipherFor(
  entry: Entry,
  encoding: EntryEncoding,
  password: Buffer | undefined,
): CheckedTransform | undefined {
  if (encoding.encryption === 'none') return undefined;
  if (!password) throw new ArchiveError('wrong-password', 'archive is encrypted and no password was given');
  if (encoding.encryption === 'zip-crypto') return new ZipCryptoDecipher(password, entry);
  return new AesDecipher(password, encoding.aes as AesParameters, entry.compressedSize);
}

/**
 * Counts the bytes that really come out of the inflater: more than the entry declares, or more
 * than what is left of the archive's budget, aborts at once (zip bombs, lying headers). At the end
 * the count and the CRC must match the central directory.
 */
export class EntryGuard extends CheckedTransform {
  private count = 0;
  private crc = 0;

  constructor(
    private readonly name: string,
    private readonly declaredSize: number,
    private readonly budget: number,
    private readonly expectedCrc: number | undefined,
  ) {
    super();
  }

  /** Bytes that passed through so far. */
  get bytes(): number {
    return this.count;
  }

  protected step(chunk: Buffer): Buffer {
    this.count += chunk.length;
    if (this.count > this.budget) {
      throw new ArchiveError('too-large', `${this.name}: extraction exceeds the size cap`);
    }
    if (this.count > this.declaredSize) throw this.beyondDeclaredSize();
    if (this.expectedCrc !== undefined) this.crc = crc32(chunk, this.crc);
    return chunk;
  }

  /** The refusal of data that inflates past the entry's declared size. */
  beyondDeclaredSize(): ArchiveError {
    return new ArchiveError(
      'too-large',
      `${this.name}: inflates beyond its declared ${this.declaredSize} bytes`,
    );
  }

  protected finish(): void {
    if (this.count !== this.declaredSize) {
      throw new ArchiveError('corrupt', `${this.name}: ${this.count} bytes instead of ${this.declaredSize}`);
    }
    if (this.expectedCrc !== undefined && this.crc >>> 0 !== this.expectedCrc >>> 0) {
      throw new ArchiveError('corrupt', `${this.name}: CRC mismatch (damaged data or wrong password)`);
    }
  }
}
