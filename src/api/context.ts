// The Hono environment type shared by every route: bindings plus the authenticated user.
import type { User } from "../shared/user";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    user: User;
    requestId: string;
    /** When the request authenticated by session cookie: its expiry (epoch ms); else null. */
    sessionExpiresAt: number | null;
  };
}
