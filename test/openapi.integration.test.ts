// The OpenAPI document describes the whole API: the banner, the Frappe-compatible paths, and every
// error response with the error envelope's schema.
import { describe, expect, it } from "vitest";
import { call } from "./helpers";

async function document(): Promise<any> {
  const res = await call("/api/v1/openapi.json", { key: null });
  expect(res.status).toBe(200);
  return res.body;
}

describe("the OpenAPI document", () => {
  it("lists GET / and the four Frappe-compatible paths", async () => {
    const doc = await document();
    expect(doc.paths["/"]?.get).toBeDefined();
    for (const method of ["start_job", "check_status", "get_result"]) {
      const path = `/api/method/tweaks.utils.report_long_polling.${method}`;
      expect(doc.paths[path]?.get, path).toBeDefined();
      expect(doc.paths[path]?.post, path).toBeDefined();
    }
    const toggle = "/api/method/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher";
    expect(doc.paths[toggle]?.post).toBeDefined();
    expect(doc.paths[toggle].post.parameters.map((p: any) => p.name)).toContain("enable");
  });

  it("every 4xx response of every /api/v1 route has a schema (the envelope), including 409, 410, 413 and 429", async () => {
    const doc = await document();
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      if (!path.startsWith("/api/v1")) continue;
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
          if (!/^4\d\d$/.test(status) || status === "426") continue;
          const schema = response.content?.["application/json"]?.schema;
          expect(schema?.$ref, `${method} ${path} ${status}`).toBe("#/components/schemas/Error");
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(doc.paths["/api/v1/tasks/{name}/cancel"].post.responses["409"]).toBeDefined();
    expect(doc.paths["/api/v1/report-jobs/{job_id}/result"].get.responses["410"]).toBeDefined();
    expect(doc.paths["/api/v1/tasks"].post.responses["413"]).toBeDefined();
  });
});
