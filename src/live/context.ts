// What the pieces around a method's live state share: the state itself, the object's storage (for
// transactions), the Worker environment, the method's name and the shard.
import type { Live } from "./live";

export interface ObjectContext {
  readonly env: Env;
  readonly method: string;
  /** Which of the method's objects this is (0 unless the method is sharded; shared/shards.ts). */
  readonly shard: number;
  readonly live: Live;
  readonly storage: DurableObjectStorage;
}
