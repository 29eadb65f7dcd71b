import { describe, expect, it } from "vitest";
import { callUrl, checkBaseUrl, checkMethodPath, describeRedirect, isRedirect } from "../src/remote/url-policy";

const prod = { allowInsecureLocal: false };
const dev = { allowInsecureLocal: true };

function reasonOf(input: string, policy = prod): string {
  const result = checkBaseUrl(input, policy);
  if (result.ok) throw new Error(`${JSON.stringify(input)} was accepted as ${result.url}`);
  return result.reason;
}

describe("checkBaseUrl: accepted and normalised", () => {
  it.each([
    ["HTTPS://ERP.Example.COM:443/", "https://erp.example.com"],
    ["https://erp.example.com", "https://erp.example.com"],
    ["https://api.example.com:8443/hooks/v1/", "https://api.example.com:8443/hooks/v1"],
    ["https://93.184.216.34/", "https://93.184.216.34"],
    ["https://[2606:4700:4700::1111]/", "https://[2606:4700:4700::1111]"],
    ["https://xn--bcher-kva.example.org/", "https://xn--bcher-kva.example.org"],
    ["https://my_site.example.com/", "https://my_site.example.com"],
    // IPv6 forms that embed a public IPv4 address get that address's verdict.
    ["https://[::ffff:8.8.8.8]/", "https://[::ffff:808:808]"],
    ["https://[2002:808:808::1]/", "https://[2002:808:808::1]"],
  ])("%s becomes %s", (input, expected) => {
    expect(checkBaseUrl(input, prod)).toEqual({ ok: true, url: expected });
  });

  it("cannot see names that resolve to private addresses (documented limit: DNS is not resolved here)", () => {
    expect(checkBaseUrl("https://127.0.0.1.nip.io/", prod)).toEqual({ ok: true, url: "https://127.0.0.1.nip.io" });
  });
});

describe("checkBaseUrl: bypass attempts are refused with the switch off", () => {
  it.each([
    // IPv4 spellings the WHATWG parser normalises to 127.0.0.1 before we see the host.
    ["decimal integer IPv4", "https://2130706433/", "loopback"],
    ["hex IPv4 with short form", "https://0x7f.1/", "loopback"],
    ["octal IPv4", "https://0177.0.0.1/", "loopback"],
    ["two-part IPv4", "https://127.1/", "loopback"],
    ["single hex integer IPv4", "https://0x7f000001/", "loopback"],
    ["zero-padded IPv4", "https://127.000.000.001/", "loopback"],
    ["IPv4 with a trailing dot", "https://127.0.0.1./", "loopback"],
    ["percent-encoded IPv4 host", "https://%31%32%37.0.0.1/", "loopback"],
    ["0.0.0.0", "https://0.0.0.0/", "'this network'"],
    ["bare 0", "https://0/", "'this network'"],
    // Names.
    ["localhost", "https://localhost/", "loopback"],
    ["upper-case LOCALHOST", "https://LOCALHOST:8443/", "loopback"],
    ["localhost. with a trailing dot", "https://localhost./", "ends with a dot"],
    ["a *.localhost name", "https://erp.localhost/", "loopback"],
    ["percent-encoded localhost", "https://loca%6chost/", "loopback"],
    ["full-width (IDN) localhost", "https://ｌｏｃａｌｈｏｓｔ/", "printable ASCII"],
    ["script-l (IDN maps to localhost)", "https://ℓocalhost/", "printable ASCII"],
    ["ideographic full stops", "https://127。0。0。1/", "printable ASCII"],
    ["*.local", "https://printer.local/", "under .local"],
    ["*.internal", "https://db.internal/", "under .internal"],
    ["GCP metadata name", "https://metadata.google.internal/computeMetadata/v1", "cloud metadata"],
    ["single-label metadata", "https://metadata/", "single-label"],
    ["empty label", "https://a..example.com/", "not a valid host name"],
    // IPv4 ranges.
    ["AWS/Azure metadata IP", "https://169.254.169.254/latest/meta-data", "link-local"],
    ["Oracle metadata IP", "https://192.0.0.192/", "IETF protocol assignments"],
    ["10/8", "https://10.1.2.3/", "private (10.0.0.0/8)"],
    ["172.16/12 low end", "https://172.16.0.1/", "private (172.16.0.0/12)"],
    ["172.16/12 high end", "https://172.31.255.255/", "private (172.16.0.0/12)"],
    ["192.168/16", "https://192.168.1.1/", "private (192.168.0.0/16)"],
    ["CGNAT", "https://100.64.0.1/", "carrier-grade NAT"],
    ["multicast", "https://224.0.0.1/", "multicast"],
    ["class E", "https://240.0.0.1/", "reserved or broadcast"],
    ["broadcast", "https://255.255.255.255/", "reserved or broadcast"],
    ["benchmarking", "https://198.18.0.1/", "benchmarking"],
    // IPv6.
    ["IPv6 unspecified [::]", "https://[::]/", "unspecified"],
    ["IPv6 loopback", "https://[::1]/", "loopback"],
    ["IPv6 loopback written in full", "https://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/", "loopback"],
    ["IPv4-mapped loopback in hex", "https://[::ffff:7f00:1]/", "loopback"],
    ["IPv4-mapped metadata", "https://[::ffff:169.254.169.254]/", "link-local"],
    ["IPv4-mapped private", "https://[::ffff:10.0.0.1]/", "private (10.0.0.0/8)"],
    ["IPv4-translated private", "https://[::ffff:0:192.168.0.1]/", "private (192.168.0.0/16)"],
    ["IPv4-compatible loopback", "https://[::127.0.0.1]/", "loopback"],
    ["NAT64 of a private IPv4", "https://[64:ff9b::10.0.0.1]/", "private (10.0.0.0/8)"],
    ["NAT64 of metadata", "https://[64:ff9b::a9fe:a9fe]/", "link-local"],
    ["6to4 of metadata", "https://[2002:a9fe:a9fe::]/", "link-local"],
    ["IPv6 link-local", "https://[fe80::1]/", "link-local (fe80::/10)"],
    ["IPv6 link-local with zone id", "https://[fe80::1%25eth0]/", "not a valid URL"],
    ["AWS metadata over IPv6 (ULA)", "https://[fd00:ec2::254]/", "unique local"],
    ["IPv6 multicast", "https://[ff02::1]/", "multicast"],
    ["IPv6 documentation", "https://[2001:db8::1]/", "documentation"],
    // Authority and scheme tricks.
    ["user:pass@", "https://user:pass@example.com/", "credentials"],
    ["public name @ loopback", "https://example.com@127.0.0.1/", "credentials"],
    ["empty userinfo", "https://@example.com/", "credentials"],
    ["backslash before @", "https://example.com\\@evil.com/", "backslashes"],
    ["tab inside the host", "https://exa\tmple.com/", "printable ASCII"],
    ["newline inside the host", "https://loc\nalhost/", "printable ASCII"],
    ["leading space", " https://example.com/", "printable ASCII"],
    ["plain http", "http://example.com/", "must use https:// (http:// only with local development on)"],
    ["upper-case HTTP scheme to loopback", "HTTP://127.0.0.1/", "must use https://"],
    ["ftp", "ftp://example.com/", "must use https://"],
    ["javascript", "javascript://example.com/", "must use https://"],
    ["scheme without slashes", "https:example.com", "absolute URL"],
    ["scheme with three slashes", "https:///example.com", "absolute URL"],
    ["query", "https://example.com/?next=http://127.0.0.1", "query or fragment"],
    ["fragment", "https://example.com/#x", "query or fragment"],
    ["port 0", "https://example.com:0/", "port 0"],
    ["dot-dot in the base path", "https://example.com/a/../admin", "'.' or '..' segments"],
    ["encoded dot-dot in the base path", "https://example.com/%2e%2e/admin", "'%'"],
  ])("%s: %s", (_title, input, reason) => {
    expect(reasonOf(input)).toContain(reason);
  });
});

describe("checkBaseUrl with the local-development switch on", () => {
  it.each([
    ["http://localhost:8000", "http://localhost:8000"],
    ["http://127.0.0.1:8000/", "http://127.0.0.1:8000"],
    ["http://erp.localhost:8000/", "http://erp.localhost:8000"],
    ["http://[::1]:8000", "http://[::1]:8000"],
    ["https://localhost/", "https://localhost"],
    ["http://example.com", "http://example.com"],
  ])("allows %s", (input, expected) => {
    expect(checkBaseUrl(input, dev)).toEqual({ ok: true, url: expected });
  });

  it.each([
    ["http://10.0.0.5:8000/", "private"],
    ["http://192.168.1.10/", "private"],
    ["http://169.254.169.254/", "link-local"],
    ["http://metadata.google.internal/", "cloud metadata"],
    ["http://host.docker.internal:8000/", "under .internal"],
    ["http://0.0.0.0:8000/", "'this network'"],
    ["http://[fd00::1]/", "unique local"],
    ["http://user:pw@localhost/", "credentials"],
    ["http://localhost./", "ends with a dot"],
  ])("still refuses %s", (input, reason) => {
    expect(reasonOf(input, dev)).toContain(reason);
  });
});

describe("checkMethodPath", () => {
  it("accepts dotted Python paths for frappe and relative paths for http", () => {
    expect(checkMethodPath("frappe", "myapp.api.sync_customer")).toBeNull();
    expect(checkMethodPath("frappe", "_private.mod2.Fn")).toBeNull();
    expect(checkMethodPath("http", "jobs/sync-customer")).toBeNull();
    expect(checkMethodPath("http", "v1.2/run~now")).toBeNull();
  });

  it.each([
    "myapp",
    "myapp..api",
    ".myapp.api",
    "myapp.api.",
    "myapp/api.run",
    "1app.api",
    "myapp.api.sync customer",
    "myapp.api.run?x=1",
    "myapp.api.run#x",
    "myapp.api.%2e",
    "../etc.passwd",
    "myapp.api.ｒun",
  ])("refuses frappe method %j", (path) => {
    expect(checkMethodPath("frappe", path)).toContain("dotted Python path");
  });
});

describe("callUrl", () => {
  it("builds Frappe's /api/method URL under the base", () => {
    expect(callUrl("https://erp.example.com", "frappe", "myapp.api.sync_customer", prod)).toEqual({
      ok: true,
      url: "https://erp.example.com/api/method/myapp.api.sync_customer",
    });
    expect(callUrl("https://example.com/erp", "frappe", "myapp.api.run", prod)).toEqual({
      ok: true,
      url: "https://example.com/erp/api/method/myapp.api.run",
    });
  });

  it("appends an http target's path to its base path", () => {
    expect(callUrl("https://api.example.com/hooks", "http", "jobs/sync-customer", prod)).toEqual({
      ok: true,
      url: "https://api.example.com/hooks/jobs/sync-customer",
    });
  });

  it.each([
    ["//evil.com/x", "relative"],
    ["/admin", "relative"],
    ["../admin", "'.' or '..'"],
    ["jobs/../../admin", "'.' or '..'"],
    ["jobs/./run", "'.' or '..'"],
    ["..", "'.' or '..'"],
    ["%2e%2e/admin", "'%'"],
    ["%2F%2Fevil.com", "'%'"],
    ["jobs\\..\\admin", "'\\'"],
    ["run?admin=1", "'?'"],
    ["run#frag", "'#'"],
    ["@evil.com/x", "'@'"],
    ["evil.com:443/x", "':'"],
    ["jobs//run", "empty segments"],
    ["jobs/", "empty segments"],
    ["jobs/run now", "may only use"],
    ["jobs/\trun", "may only use"],
    ["jobs\n/run", "may only use"],
    ["jobs/ünï", "may only use"],
    ["..;/admin", "may only use"],
    ["", "1 to 512"],
  ])("refuses http path %j", (path, reason) => {
    const result = callUrl("https://api.example.com/hooks", "http", path, prod);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("re-checks the base under the current policy: a dev-only base fails once the switch is off", () => {
    expect(callUrl("http://localhost:8000", "frappe", "myapp.api.run", dev)).toEqual({
      ok: true,
      url: "http://localhost:8000/api/method/myapp.api.run",
    });
    const off = callUrl("http://localhost:8000", "frappe", "myapp.api.run", prod);
    expect(off).toEqual({ ok: false, reason: expect.stringContaining("base URL must use https://") });
  });

  it("every accepted call URL keeps the base's origin and path prefix", () => {
    const cases = [
      ["https://erp.example.com", "frappe", "a.b"],
      ["https://api.example.com:8443/x", "http", "y/z"],
      ["https://[2606:4700:4700::1111]/p", "http", "q~r.s"],
    ] as const;
    for (const [base, kind, path] of cases) {
      const result = callUrl(base, kind, path, prod);
      if (!result.ok) throw new Error(result.reason);
      expect(new URL(result.url).origin).toBe(new URL(base).origin);
      expect(result.url.startsWith(`${base}/`)).toBe(true);
    }
  });
});

describe("describeRedirect", () => {
  const from = "https://erp.example.com/api/method/myapp.api.run";
  const redirect = (status: number, location?: string) =>
    new Response(null, { status, headers: location === undefined ? {} : { location } });

  it("is null for statuses other than 3xx", () => {
    expect(describeRedirect(new Response("ok"), from)).toBeNull();
    expect(describeRedirect(new Response(null, { status: 404 }), from)).toBeNull();
    expect([299, 300, 308, 399, 400].map(isRedirect)).toEqual([false, true, true, true, false]);
  });

  it("shows only the origin of a cross-origin Location, never its path or query", () => {
    const text = describeRedirect(redirect(302, "https://evil.example/steal?token=abc"), from);
    expect(text).toContain("302 redirecting to https://evil.example;");
    expect(text).not.toMatch(/steal|token/);
  });

  it("says a same-origin redirect stays on the origin without its path", () => {
    const text = describeRedirect(redirect(301, "/login?redirect-to=%2Fapp"), from);
    expect(text).toContain("elsewhere on https://erp.example.com");
    expect(text).not.toContain("login");
  });

  it("handles a missing, invalid or non-http Location", () => {
    expect(describeRedirect(redirect(307), from)).toContain("without a Location");
    expect(describeRedirect(redirect(302, "http://[zz"), from)).toContain("invalid Location");
    expect(describeRedirect(redirect(302, "javascript:alert(1)"), from)).toContain("a javascript: URL");
  });
});
