// The API's contract for who may call: the console session and API keys.
import { z } from "zod";
import { LAST_USED_EVERY_MS } from "../shared/limits";
import { idRule, userChosenId } from "../shared/names";
import { ROLES } from "../shared/states";

export const RoleList = z.array(z.enum(ROLES));

export const Session = z
  .object({
    user: z.string(),
    roles: RoleList,
    key: z.string().meta({ description: "the API key id (never the secret)" }),
    expires_at: z.string().nullable().meta({ description: "null when the request used an API key, not a cookie" }),
  })
  .meta({ id: "Session" });

export const SignIn = z.strictObject({
  api_key: z.string().min(3).max(300).meta({ description: "<key>:<secret>", example: "abc:def" }),
});

export const ApiKey = z
  .object({
    key: z.string(),
    user: z.string(),
    roles: RoleList,
    label: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    last_used_at: z
      .string()
      .nullable()
      .meta({
        description: `when the key last authenticated a request (or a console session of it); recorded at most once every ${LAST_USED_EVERY_MS / 1000} s per key and Worker isolate, so it may lag a minute — and more while a key is used from several isolates`,
      }),
  })
  .meta({ id: "ApiKey" });

export const NewApiKey = ApiKey.extend({
  secret: z.string(),
  api_key: z.string().meta({ description: "key:secret — use as `Authorization: token <api_key>`" }),
}).meta({ id: "NewApiKey" });

export const ApiKeyCreate = z.strictObject({
  user: z
    .string()
    .trim()
    .pipe(userChosenId("user"))
    .meta({
      description: `who the key acts as (leading and trailing spaces dropped): ${idRule("user")}; Administrator and Guest only with System Manager`,
      example: "ana@example.com",
    }),
  roles: RoleList.min(1),
  label: z.string().max(140).optional(),
});
