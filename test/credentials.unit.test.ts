import { describe, expect, it } from "vitest";
import { readCredential } from "../src/auth/credentials";

const req = (headers: Record<string, string>, query = "") => new Request(`http://x/api${query}`, { headers });

describe("readCredential", () => {
  it("reads token, Bearer and Basic authorization headers", () => {
    expect(readCredential(req({ authorization: "token k1:s1" }))).toEqual({ key: "k1", secret: "s1" });
    expect(readCredential(req({ authorization: "Bearer k2:s2" }))).toEqual({ key: "k2", secret: "s2" });
    expect(readCredential(req({ authorization: `Basic ${btoa("k3:s3")}` }))).toEqual({ key: "k3", secret: "s3" });
  });

  it("reads ?api_key=key:secret (Power BI's Web API credential)", () => {
    expect(readCredential(req({}, "?api_key=k4:s4"))).toEqual({ key: "k4", secret: "s4" });
  });

  it("keeps colons inside the secret", () => {
    expect(readCredential(req({ authorization: "token k5:a:b" }))).toEqual({ key: "k5", secret: "a:b" });
  });

  it("tells missing from malformed credentials", () => {
    expect(readCredential(req({}))).toBeNull();
    expect(readCredential(req({ authorization: "token nocolon" }))).toBe("malformed");
    expect(readCredential(req({ authorization: "Digest abc" }))).toBe("malformed");
    expect(readCredential(req({ authorization: "Basic !!!" }))).toBe("malformed");
    expect(readCredential(req({}, "?api_key=:secret"))).toBe("malformed");
  });
});
