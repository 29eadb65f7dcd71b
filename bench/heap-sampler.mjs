// The Worker isolate's own JS heap, read through wrangler dev's inspector port (Chrome DevTools
// protocol): `Runtime.getHeapUsage` sampled on an interval, with phases that each keep their peak.
// This is what a deployed isolate's 128 MB limit is about — unlike the workerd process RSS, which
// also holds the local R2/D1 simulators and the allocator's high water.

const MIB = 1024 * 1024;
const round = (x) => Math.round(x * 10) / 10;

/** Connects to the first Worker target listed at http://127.0.0.1:<port>/json (retrying while it starts). */
async function connect(port) {
  for (let i = 0; ; i++) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
      const target = targets.find((t) => typeof t.webSocketDebuggerUrl === "string");
      if (target) {
        // The inspector proxy refuses an upgrade without a local Origin (undici's WebSocket takes headers).
        const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
        await new Promise((resolve, reject) => {
          socket.addEventListener("open", resolve, { once: true });
          socket.addEventListener("error", reject, { once: true });
        });
        return { socket, title: target.title ?? target.id };
      }
    } catch {
      // not listening yet
    }
    if (i > 120) throw new Error(`no inspector target on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Samples the isolate's used heap every `intervalMs`. `phase()` starts a phase after a full garbage
 * collection — workerd's inspector does not answer HeapProfiler.collectGarbage, but a heap snapshot
 * collects first — so no phase starts with the garbage of the one before; its `end()` returns the
 * live heap at its start, its peak (live data and garbage not yet collected: an upper bound of
 * what was live) and the live heap after it (collected again).
 */
export async function heapSampler(port, intervalMs = 100) {
  const { socket, title } = await connect(port);
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (waiter) {
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${message.error.message}`));
      else waiter.resolve(message.result);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const used = async () => (await send("Runtime.getHeapUsage")).usedSize;

  let peak = 0;
  let samples = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    used()
      .then((bytes) => {
        peak = Math.max(peak, bytes);
        samples++;
      })
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, intervalMs);

  return {
    target: title,
    /** Used heap now (MiB), garbage included. */
    async now() {
      return round((await used()) / MIB);
    },
    /** The live heap (MiB): used heap right after a full collection (a heap snapshot's, discarded). */
    async live() {
      await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      return round((await used()) / MIB);
    },
    /** Starts a phase: collects garbage, then tracks the peak until the returned `end()`. */
    async phase() {
      const baseline = await this.live();
      peak = 0;
      samples = 0;
      return {
        end: async () => {
          peak = Math.max(peak, await used());
          const peakMib = round(peak / MIB);
          return { live_before_mib: baseline, peak_mib: peakMib, live_after_mib: await this.live(), samples };
        },
      };
    },
    close() {
      clearInterval(timer);
      socket.close();
    },
  };
}
