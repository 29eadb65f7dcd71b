// GET /api/v1/demo/marks/{task} (System Manager; only where DEMO_METHODS is "on"): how many times
// the example method demo.mark ran for a task — what an outside run that kills and restarts the
// platform checks to prove that nothing ran twice.
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, json, pathParam, requireRole, router } from "./router";

export const demoApi = router().openapi(
  createRoute({
    method: "get",
    path: "/marks/{task}",
    summary: "How many runs of demo.mark a task had (System Manager; DEMO_METHODS=on)",
    middleware: [requireRole("System Manager")] as const,
    request: { params: z.object({ task: pathParam("task", 64) }) },
    responses: { 200: json(z.object({ task: z.string(), runs: z.number() }), "Runs"), ...errorResponses },
  }),
  async (c) => {
    const { task } = c.req.valid("param");
    const listed = await c.env.RESULTS.list({ prefix: `demo/marks/${task}/` });
    return c.json({ task, runs: listed.objects.length }, 200);
  },
);
