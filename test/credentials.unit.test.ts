import { describe, expect, it } from "vitest";
import { queryCredentialAllowed, readCredential } from "../src/auth/credentials";

const req = (headers: Record<string, string>, query = "") => new Request(`http://x/api${query}`, { headers });

describe("readCredential", () => {
  it("reads token, Bearer and Basic authorization headers", () => {
    expect(readCredential(req({ authorization: "token k1:s1" }))).toEqual({ key: "k1", secret: "s1" });
    expect(readCredential(req({ authorization: "Bearer k2:s2" }))).toEqual({ key: "k2", secret: "s2" });
    expect(readCredential(req({ authorization: `Basic ${btoa("k3:s3")}` }))).toEqual({ key: "k3", secret: "s3" });
  });

  it("reads ?api_key=key:secret (Power BI's Web API credential)", () => {
    expect(readCredential(req({}, "?api_key=k4:s4"))).toEqual({ key: "k4", secret: "s4", fromQuery: true });
  });

  it("allows ?api_key= only on the Power BI read paths, and only for GET", () => {
    const M = "/api/method/tweaks.utils.report_long_polling";
    for (const path of [
      `${M}.start_job`,
      `${M}.check_status`,
      `${M}.get_result`,
      "/api/v1/report-jobs/J1",
      "/api/v1/report-jobs/J1/result",
    ]) {
      expect(queryCredentialAllowed("GET", path), path).toBe(true);
      expect(queryCredentialAllowed("POST", path), path).toBe(false);
    }
    for (const path of [
      "/api/v1/tasks",
      "/api/v1/report-jobs/J1/cancel",
      "/api/v1/reports/Demo/jobs",
      "/api/method/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher",
      "/api/v1/realtime/tickets",
    ]) {
      expect(queryCredentialAllowed("GET", path), path).toBe(false);
    }
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
