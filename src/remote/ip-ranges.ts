// Classifies IP address literals: public, loopback, or a range a remote call must never reach.

/** `public`: routable on the internet; `loopback`: this machine (allowed in local development only). */
export type AddressVerdict = { kind: "public" } | { kind: "loopback" } | { kind: "refused"; reason: string };

const PUBLIC: AddressVerdict = { kind: "public" };
const LOOPBACK: AddressVerdict = { kind: "loopback" };
const refused = (reason: string): AddressVerdict => ({ kind: "refused", reason });

// IANA special-purpose IPv4 blocks that are not globally reachable (RFC 6890 and successors).
const IPV4_REFUSED: readonly (readonly [string, number, string])[] = [
  ["0.0.0.0", 8, "'this network' (0.0.0.0/8)"],
  ["10.0.0.0", 8, "private (10.0.0.0/8)"],
  ["100.64.0.0", 10, "carrier-grade NAT (100.64.0.0/10)"],
  ["169.254.0.0", 16, "link-local, where cloud metadata services live (169.254.0.0/16)"],
  ["172.16.0.0", 12, "private (172.16.0.0/12)"],
  ["192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"],
  ["192.0.2.0", 24, "documentation (192.0.2.0/24)"],
  ["192.168.0.0", 16, "private (192.168.0.0/16)"],
  ["198.18.0.0", 15, "benchmarking (198.18.0.0/15)"],
  ["198.51.100.0", 24, "documentation (198.51.100.0/24)"],
  ["203.0.113.0", 24, "documentation (203.0.113.0/24)"],
  ["224.0.0.0", 4, "multicast (224.0.0.0/4)"],
  ["240.0.0.0", 4, "reserved or broadcast (240.0.0.0/4)"],
];

/** The 32-bit value of a dotted-decimal IPv4 address, or null when `text` is not one. */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function inIPv4Block(address: number, block: string, bits: number): boolean {
  const base = parseIPv4(block) ?? 0;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}

/** Verdict for an IPv4 address given as its 32-bit value. */
export function classifyIPv4(address: number): AddressVerdict {
  if (inIPv4Block(address, "127.0.0.0", 8)) return LOOPBACK;
  for (const [block, bits, reason] of IPV4_REFUSED) {
    if (inIPv4Block(address, block, bits)) return refused(reason);
  }
  return PUBLIC;
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291 text, dotted IPv4 tail allowed), or null. */
export function parseIPv6(text: string): number[] | null {
  const halves = text.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === "") return [];
    const groups: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (v4 === null) return null;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = parseHalf(halves[0] ?? "");
  const tail = halves.length === 2 ? parseHalf(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

const v4At = (g: readonly number[], i: number): number => (g[i] ?? 0) * 65536 + (g[i + 1] ?? 0);
const zeros = (g: readonly number[], from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);

/** Verdict for an IPv6 address; forms that embed an IPv4 address get that address's verdict. */
export function classifyIPv6(g: readonly number[]): AddressVerdict {
  const [g0 = 0, g1 = 0, g2 = 0] = g;
  if (zeros(g, 0, 8)) return refused("the unspecified address (::)");
  if (zeros(g, 0, 7) && g[7] === 1) return LOOPBACK;
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated), ::a.b.c.d (deprecated compatible).
  if (zeros(g, 0, 5) && g[5] === 0xffff) return classifyIPv4(v4At(g, 6));
  if (zeros(g, 0, 4) && g[4] === 0xffff && g[5] === 0) return classifyIPv4(v4At(g, 6));
  if (zeros(g, 0, 6)) return classifyIPv4(v4At(g, 6));
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g, 2, 6)) return classifyIPv4(v4At(g, 6)); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return refused("local-use NAT64 (64:ff9b:1::/48)");
  if (g0 === 0x2002) return classifyIPv4(v4At(g, 1)); // 6to4 carries an IPv4 address in bits 16–47
  if (g0 === 0x2001 && g1 === 0x0db8) return refused("documentation (2001:db8::/32)");
  if (g0 === 0x2001 && g1 < 0x0200) return refused("IETF protocol assignments, incl. Teredo (2001::/23)");
  if (g0 === 0x3fff && g1 < 0x1000) return refused("documentation (3fff::/20)");
  if ((g0 & 0xfe00) === 0xfc00) return refused("unique local, i.e. private (fc00::/7)");
  if ((g0 & 0xffc0) === 0xfe80) return refused("link-local (fe80::/10)");
  if ((g0 & 0xffc0) === 0xfec0) return refused("site-local (fec0::/10)");
  if ((g0 & 0xff00) === 0xff00) return refused("multicast (ff00::/8)");
  if ((g0 & 0xe000) !== 0x2000) return refused("not global unicast (outside 2000::/3)");
  return PUBLIC;
}
