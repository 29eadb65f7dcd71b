// The API's types as the console reads them: all from the TypeScript client, which derives them from
// the server's zod schemas (src/contract/) — none is written by hand, so the console cannot drift
// from what the server sends.
export type * from "../../clients/typescript/src/types";
