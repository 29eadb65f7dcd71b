// Decides whether a parsed URL host (name or IP literal) may be called, or is loopback / internal.
import { type AddressVerdict, classifyIPv4, classifyIPv6, parseIPv4, parseIPv6 } from "./ip-ranges";

// Special-use and private-use names (RFC 6761, 6762 appendix G, 8375): none is a public host.
const INTERNAL_SUFFIXES = [
  "local",
  "internal",
  "localdomain",
  "arpa",
  "lan",
  "intranet",
  "corp",
  "home",
  "private",
  "invalid",
  "test",
  "example",
];

// Cloud metadata names that are not already caught by the single-label or suffix rules.
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "instance-data.ec2.internal"]);

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function nameVerdict(host: string): AddressVerdict {
  if (host.endsWith(".")) return { kind: "refused", reason: "ends with a dot; write the name without it" };
  if (host === "localhost" || host.endsWith(".localhost")) return { kind: "loopback" };
  const labels = host.split(".");
  if (host.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return { kind: "refused", reason: "is not a valid host name (letters, digits, '-' and '_' between dots)" };
  }
  if (labels.length < 2) return { kind: "refused", reason: "is a single-label name, which only resolves internally" };
  if (METADATA_NAMES.has(host)) return { kind: "refused", reason: "is a cloud metadata service" };
  const suffix = INTERNAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) return { kind: "refused", reason: `is under .${suffix}, a name that only resolves internally` };
  return { kind: "public" };
}

/**
 * Verdict for `URL.hostname` (already lower-cased, IDNA-mapped and with IPv4 spellings such as
 * `0x7f.1` normalised to dotted decimal by the WHATWG parser). IPv6 literals keep their brackets.
 */
export function hostVerdict(hostname: string): AddressVerdict {
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    const groups = parseIPv6(hostname.slice(1, -1));
    return groups ? classifyIPv6(groups) : { kind: "refused", reason: "is not a valid IPv6 address" };
  }
  const v4 = parseIPv4(hostname);
  return v4 === null ? nameVerdict(hostname) : classifyIPv4(v4);
}
