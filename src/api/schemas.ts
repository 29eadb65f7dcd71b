// Path parameters shared by the routes. Request and response bodies are the API's contract in
// src/contract/ (zod with OpenAPI metadata), which the TypeScript client derives its types from.
import { z } from "@hono/zod-openapi";

/** A path parameter of at most `max` characters. */
export const pathParam = (name: string, max: number, example?: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .openapi({ param: { name, in: "path" }, ...(example === undefined ? {} : { example }) });

export const TaskName = z.object({ name: pathParam("name", 64) });
