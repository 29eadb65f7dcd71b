// The part of Node's async_hooks that workerd provides under nodejs_compat and log.ts uses (the
// project does not load @types/node into the Worker's types).
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
  }
}
