// Strict base64 / base64url conversion for keys, signatures and ciphertexts (atob alone accepts junk).

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Standard base64 (with padding) of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so String.fromCharCode never receives more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Unpadded base64url (RFC 4648 §5) of `bytes`. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes standard base64 with canonical padding; null for anything else (whitespace included). */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64.test(text)) return null;
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** Decodes base64url with or without padding; null for anything else. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  const bare = text.replace(/={1,2}$/, "");
  if (!BASE64URL.test(bare) || bare.length % 4 === 1) return null;
  const standard = bare.replace(/-/g, "+").replace(/_/g, "/");
  return base64ToBytes(standard.padEnd(standard.length + ((4 - (standard.length % 4)) % 4), "="));
}
