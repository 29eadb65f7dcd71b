// Every route answers malformed bodies with a 4xx in its error style — never a 500.
import { describe, expect, it } from "vitest";
import { call } from "./helpers";

const FRAPPE_PATHS = [
  "/api/method/tweaks.utils.report_long_polling.start_job",
  "/api/method/tweaks.utils.report_long_polling.check_status",
  "/api/method/tweaks.utils.report_long_polling.get_result",
  "/api/method/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher",
];

/** Bodies that parsers choke on, with the content type that claims them. */
const BAD_BODIES: { label: string; contentType: string; body: string; v1: { status: number; code: string } }[] = [
  {
    label: "multipart without boundary",
    contentType: "multipart/form-data",
    body: "a=1",
    v1: { status: 415, code: "unsupported_media_type" },
  },
  {
    label: "multipart with a boundary that never appears",
    contentType: "multipart/form-data; boundary=xyz",
    body: "a=1",
    v1: { status: 415, code: "unsupported_media_type" },
  },
  {
    label: "multipart cut short",
    contentType: "multipart/form-data; boundary=xyz",
    body: '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',
    v1: { status: 415, code: "unsupported_media_type" },
  },
  {
    label: "malformed JSON",
    contentType: "application/json",
    body: '{"a":',
    v1: { status: 400, code: "malformed_json" },
  },
  {
    label: "JSON that is not an object",
    contentType: "application/json",
    body: "[1,2]",
    v1: { status: 400, code: "validation_failed" },
  },
  {
    label: "urlencoded garbage",
    contentType: "application/x-www-form-urlencoded",
    body: "%%%=&&=%zz",
    v1: { status: 415, code: "unsupported_media_type" },
  },
  {
    label: "plain text",
    contentType: "text/plain",
    body: "hello",
    v1: { status: 415, code: "unsupported_media_type" },
  },
];

/** Every operation of the OpenAPI document that declares a request body, with path parameters filled in. */
async function bodyRoutes(): Promise<{ method: string; path: string }[]> {
  const doc = await call("/api/v1/openapi.json");
  expect(doc.status).toBe(200);
  const routes: { method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, any>>)) {
    for (const method of ["post", "put", "patch", "delete"]) {
      if (item[method]?.requestBody === undefined) continue;
      // The document's paths are complete (they already start with /api/v1 or /api/method).
      routes.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "x1") });
    }
  }
  expect(routes.length).toBeGreaterThan(15);
  return routes;
}

describe("malformed request bodies", () => {
  it("the four Frappe-compatible paths answer a Frappe-style 4xx for every malformed body", async () => {
    for (const path of FRAPPE_PATHS) {
      for (const bad of BAD_BODIES) {
        const res = await call(path, {
          method: "POST",
          rawBody: bad.body,
          headers: { "content-type": bad.contentType },
        });
        expect(res.status, `${path} with ${bad.label}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${path} with ${bad.label}`).toBeLessThan(500);
        expect(res.body.exc_type, `${path} with ${bad.label}`).toBeTypeOf("string");
      }
    }
  });

  it("a multipart body without a boundary on start_job is a 400 ValidationError that names the problem", async () => {
    const res = await call(FRAPPE_PATHS[0] ?? "", {
      method: "POST",
      rawBody: "report_name=Demo",
      headers: { "content-type": "multipart/form-data" },
    });
    expect(res.status).toBe(400);
    expect(res.body.exc_type).toBe("ValidationError");
    expect(res.body.message).toMatch(/form body/);
  });

  it("every /api/v1 route with a body answers a 4xx error envelope for every malformed body", async () => {
    for (const route of await bodyRoutes()) {
      for (const bad of BAD_BODIES) {
        const res = await call(route.path, {
          method: route.method,
          rawBody: bad.body,
          headers: { "content-type": bad.contentType },
        });
        const where = `${route.method} ${route.path} with ${bad.label}: ${res.status} ${JSON.stringify(res.body)}`;
        // The body is refused as a body: not a 404 for the filled-in path, not a 401, never a 2xx.
        if (route.path.startsWith("/api/method/")) {
          expect(res.status, where).toBeGreaterThanOrEqual(400);
          expect(res.status, where).toBeLessThan(500);
          expect(res.body?.exc_type, where).toBeTypeOf("string");
        } else {
          expect(res.status, where).toBe(bad.v1.status);
          expect(res.body?.error?.code, where).toBe(bad.v1.code);
        }
      }
    }
  });

  it("every /api/v1 body refuses a field it does not know with a 400 that names it", async () => {
    for (const route of await bodyRoutes()) {
      // A task spec's unknown top-level keys are the method's keyword arguments, by design.
      if (route.path === "/api/v1/tasks") continue;
      const res = await call(route.path, { method: route.method, body: { surprise_field: 1 } });
      const where = `${route.method} ${route.path}: ${res.status} ${JSON.stringify(res.body)}`;
      expect(res.status, where).toBe(400);
      expect(res.body?.error?.code, where).toBe("validation_failed");
      expect(JSON.stringify(res.body.error.details), where).toContain("surprise_field");
    }
  });
});
