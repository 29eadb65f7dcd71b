// GET /api/v1/docs: the interactive API reference (Swagger UI, served from our own assets — no CDN)
// for the OpenAPI document at /api/v1/openapi.json.
import { router } from "./router";

/** Swagger UI sets inline styles, so this page alone allows them; scripts stay 'self' only. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Not an OpenAPI route: an HTML page, public like the document it renders. */
export const docsApi = router().get("/", async (c) => {
  const page = await c.env.ASSETS.fetch(new URL("/ui/api-docs", c.req.url));
  const headers = new Headers(page.headers);
  headers.set("Content-Security-Policy", DOCS_CSP);
  headers.set("Cache-Control", "no-cache");
  return new Response(page.body, { status: page.status, headers });
});
