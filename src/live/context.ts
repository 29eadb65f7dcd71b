// What the pieces around a method's live state share: the state itself, the object's storage (for
// transactions), the Worker environment and the method's name.
import type { Live } from "./live";

export interface ObjectContext {
  readonly env: Env;
  readonly method: string;
  readonly live: Live;
  readonly storage: DurableObjectStorage;
}
