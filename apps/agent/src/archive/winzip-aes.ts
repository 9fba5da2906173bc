// WinZip AES encryption (AE-1 / AE-2, https://www.winzip.com/en/support/aes-encryption/):
// PBKDF2-HMAC-SHA1 (1000 iterations) derives the AES key, the HMAC key and a 2-byte password
// verifier from a per-entry salt; data is AES-CTR with a little-endian counter starting at 1
// (Gladman's fileenc), which node's big-endian `aes-*-ctr` cannot do, so the keystream is made
// here from AES-ECB over counter blocks. The last 10 bytes are HMAC-SHA1(ciphertext), truncated.
import { type Cipher, createCipheriv, createHmac, type Hmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import type { ExtraField } from 'yauzl';
import { CheckedTransform } from './checked-transform.js';
import { ArchiveError } from './errors.js';

export const AES_COMPRESSION_METHOD = 99;
const AES_EXTRA_FIELD_ID = 0x9901;
const VERIFIER_LENGTH = 2;
const AUTH_CODE_LENGTH = 10;
const BLOCK = 16;
/** Counter blocks encrypted per keystream refill: 4 KiB of keystream per AES call. */
const BLOCKS_PER_REFILL = 256;

export interface AesParameters {
  /** 1 = AE-1 (CRC stored and checked), 2 = AE-2 (CRC field is zero, only the HMAC protects). */
  version: 1 | 2;
  keyBits: 128 | 192 | 256;
  /** The real compression method (0 stored, 8 deflate) hidden behind method 99. */
  compressionMethod: number;
}

const strengths: Record<number, AesParameters['keyBits']> = { 1: 128, 2: 192, 3: 256 };

export function readAesParameters(extraFields: readonly ExtraField[]): AesParameters {
  const field = extraFields.find((f) => f.id === AES_EXTRA_FIELD_ID);
  if (!field || field.data.length < 7)
    throw new ArchiveError('corrupt', 'AES entry without its 0x9901 extra field');
  const version = field.data.readUInt16LE(0);
  const vendor = field.data.toString('latin1', 2, 4);
  const keyBits = strengths[field.data.readUInt8(4)];
  if ((version !== 1 && version !== 2) || vendor !== 'AE' || !keyBits) {
    throw new ArchiveError(
      'unsupported',
      `unsupported AES extra field (version ${version}, vendor ${vendor})`,
    );
  }
  return { version, keyBits, compressionMethod: field.data.readUInt16LE(5) };
}

/** Bytes the AES framing adds around the ciphertext: salt + verifier + auth code. */
export function aesOverhead(keyBits: AesParameters['keyBits']): number {
  return saltLength(keyBits) + VERIFIER_LENGTH + AUTH_CODE_LENGTH;
}

function saltLength(keyBits: AesParameters['keyBits']): number {
  return keyBits / 16; // 8, 12 or 16 bytes
}

/** AES-CTR keystream with the 64-bit little-endian counter (first block = 1). */
class LittleEndianCtr {
  private readonly ecb: Cipher;
  private counterLow = 1;
  private counterHigh = 0;
  private keystream = Buffer.alloc(0);
  private position = 0;

  constructor(key: Buffer, keyBits: number) {
    this.ecb = createCipheriv(`aes-${keyBits}-ecb`, key, null).setAutoPadding(false);
  }

  /** XORs the keystream into `data` in place. */
  apply(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.position === this.keystream.length) this.refill();
      const n = Math.min(data.length - offset, this.keystream.length - this.position);
      for (let i = 0; i < n; i++)
        data[offset + i] = (data[offset + i] as number) ^ (this.keystream[this.position + i] as number);
      offset += n;
      this.position += n;
    }
  }

  private refill(): void {
    const blocks = Buffer.alloc(BLOCKS_PER_REFILL * BLOCK);
    for (let b = 0; b < BLOCKS_PER_REFILL; b++) {
      blocks.writeUInt32LE(this.counterLow, b * BLOCK);
      blocks.writeUInt32LE(this.counterHigh, b * BLOCK + 4);
      this.counterLow = (this.counterLow + 1) >>> 0;
      if (this.counterLow === 0) this.counterHigh = (this.counterHigh + 1) >>> 0;
    }
    this.keystream = this.ecb.update(blocks);
    this.position = 0;
  }
}

/** Consumes the raw entry data (salt, verifier, ciphertext, auth code); emits the (compressed) plaintext. */
export class AesDecipher extends CheckedTransform {
  private readonly preambleLength: number;
  private readonly cipherLength: number;
  private preamble = Buffer.alloc(0);
  private trailer = Buffer.alloc(0);
  private received = 0;
  private ctr: LittleEndianCtr | undefined;
  private hmac: Hmac | undefined;

  constructor(
    private readonly password: Buffer,
    private readonly params: AesParameters,
    rawLength: number,
  ) {
    super();
    this.preambleLength = saltLength(params.keyBits) + VERIFIER_LENGTH;
    this.cipherLength = rawLength - aesOverhead(params.keyBits);
    if (this.cipherLength < 0) throw new ArchiveError('corrupt', 'AES entry shorter than its framing');
  }

  protected step(chunk: Buffer): Buffer | undefined {
    let data = chunk;
    if (!this.ctr) {
      const missing = this.preambleLength - this.preamble.length;
      this.preamble = Buffer.concat([this.preamble, data.subarray(0, missing)]);
      data = data.subarray(missing);
      if (this.preamble.length < this.preambleLength) return undefined;
      this.deriveKeys();
    }
    const cipherPart = data.subarray(0, Math.max(0, this.cipherLength - this.received));
    this.received += cipherPart.length;
    this.trailer = Buffer.concat([this.trailer, data.subarray(cipherPart.length)]);
    if (this.trailer.length > AUTH_CODE_LENGTH)
      throw new ArchiveError('corrupt', 'AES entry longer than declared');
    if (cipherPart.length === 0) return undefined;
    this.hmac?.update(cipherPart);
    const plain = Buffer.from(cipherPart);
    this.ctr?.apply(plain);
    return plain;
  }

  private deriveKeys(): void {
    const keyLength = this.params.keyBits / 8;
    const salt = this.preamble.subarray(0, saltLength(this.params.keyBits));
    const derived = pbkdf2Sync(this.password, salt, 1000, 2 * keyLength + VERIFIER_LENGTH, 'sha1');
    const verifier = this.preamble.subarray(salt.length);
    if (!derived.subarray(2 * keyLength).equals(verifier)) {
      throw new ArchiveError('wrong-password', 'wrong password (AES password verifier mismatch)');
    }
    this.ctr = new LittleEndianCtr(derived.subarray(0, keyLength), this.params.keyBits);
    this.hmac = createHmac('sha1', derived.subarray(keyLength, 2 * keyLength));
  }

  protected finish(): void {
    if (!this.hmac || this.received !== this.cipherLength || this.trailer.length !== AUTH_CODE_LENGTH) {
      throw new ArchiveError('corrupt', 'AES entry truncated');
    }
    const expected = this.hmac.digest().subarray(0, AUTH_CODE_LENGTH);
    if (!timingSafeEqual(expected, this.trailer)) {
      throw new ArchiveError('corrupt', 'AES authentication code mismatch (tampered data or wrong password)');
    }
  }
}
