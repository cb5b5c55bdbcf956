/**
 * Bytes to a latin1 string (byte 0x00-0xFF becomes U+0000-U+00FF, as node:http does for
 * headers) in one native call. Node's Buffer.prototype.latin1Slice accepts any Uint8Array
 * and makes the string without an intermediate Buffer; it is undocumented, so the
 * fallback is Buffer#toString for a Node version that drops it.
 */
export type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

export const latin1Slice: Latin1Slice =
  typeof nativeLatin1Slice === 'function'
    ? nativeLatin1Slice
    : function (this: Uint8Array, start: number, end: number): string {
        return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString('latin1', start, end);
      };
