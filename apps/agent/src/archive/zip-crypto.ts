// Traditional PKWARE encryption ("ZipCrypto", APPNOTE.TXT §6.1). Weak, but it is what `zip -P`
// and many farms produce, and neither yauzl nor node:crypto implement it.
import { CheckedTransform } from './checked-transform.js';
import { ArchiveError } from './errors.js';

const HEADER_LENGTH = 12;

// Int32Array and `| 0` keep every value a small integer in V8: a Uint32Array would hand out
// heap numbers above 2^31 and make the per-byte loop several times slower.
const crcTable = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c | 0;
  }
  return table;
})();

class ZipCryptoKeys {
  private k0 = 0x12345678;
  private k1 = 0x23456789;
  private k2 = 0x34567890;

  constructor(password: Buffer) {
    for (const byte of password) this.mix(byte);
  }

  private mix(plainByte: number): void {
    this.k0 = (crcTable[(this.k0 ^ plainByte) & 0xff] as number) ^ (this.k0 >>> 8);
    this.k1 = (Math.imul((this.k1 + (this.k0 & 0xff)) | 0, 134775813) + 1) | 0;
    this.k2 = (crcTable[(this.k2 ^ (this.k1 >>> 24)) & 0xff] as number) ^ (this.k2 >>> 8);
  }

  /** Decrypts `data` in place (the key update inlined: this loop is the hot path). */
  decrypt(data: Buffer): void {
    let { k0, k1, k2 } = this;
    const table = crcTable;
    for (let i = 0, n = data.length; i < n; i++) {
      const temp = (k2 | 2) & 0xffff;
      const plain = ((data[i] as number) ^ (Math.imul(temp, temp ^ 1) >>> 8)) & 0xff;
      data[i] = plain;
      k0 = (table[(k0 ^ plain) & 0xff] as number) ^ (k0 >>> 8);
      k1 = (Math.imul((k1 + (k0 & 0xff)) | 0, 134775813) + 1) | 0;
      k2 = (table[(k2 ^ (k1 >>> 24)) & 0xff] as number) ^ (k2 >>> 8);
    }
    this.k0 = k0;
    this.k1 = k1;
    this.k2 = k2;
  }
}

export interface ZipCryptoEntryFacts {
  crc32: number;
  lastModFileTime: number;
  generalPurposeBitFlag: number;
}

/**
 * The byte the 12-byte encryption header must end with. With a data descriptor (bit 3) Info-ZIP
 * uses the high byte of the DOS time instead of the CRC's, because the CRC is not known yet.
 */
function acceptableCheckBytes(entry: ZipCryptoEntryFacts): number[] {
  const fromCrc = (entry.crc32 >>> 24) & 0xff;
  if ((entry.generalPurposeBitFlag & 0x8) === 0) return [fromCrc];
  return [(entry.lastModFileTime >>> 8) & 0xff, fromCrc];
}

/** Consumes the raw entry data (header + ciphertext) and emits the plaintext (still compressed). */
export class ZipCryptoDecipher extends CheckedTransform {
  private readonly keys: ZipCryptoKeys;
  private header = Buffer.alloc(0);
  private headerChecked = false;

  constructor(
    password: Buffer,
    private readonly entry: ZipCryptoEntryFacts,
  ) {
    super();
    this.keys = new ZipCryptoKeys(password);
  }

  protected step(chunk: Buffer): Buffer | undefined {
    let data = Buffer.from(chunk); // decrypted in place, so never touch the reader's buffer
    if (!this.headerChecked) {
      const missing = HEADER_LENGTH - this.header.length;
      this.header = Buffer.concat([this.header, data.subarray(0, missing)]);
      data = data.subarray(missing);
      if (this.header.length < HEADER_LENGTH) return undefined;
      this.keys.decrypt(this.header);
      this.headerChecked = true;
      if (!acceptableCheckBytes(this.entry).includes(this.header[HEADER_LENGTH - 1] as number)) {
        throw new ArchiveError('wrong-password', 'wrong password (ZipCrypto header check failed)');
      }
    }
    this.keys.decrypt(data);
    return data;
  }

  protected finish(): void {
    if (!this.headerChecked) throw new ArchiveError('corrupt', 'encrypted entry shorter than its header');
  }
}
