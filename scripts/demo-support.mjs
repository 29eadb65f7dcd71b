// Shared by the demo scripts: which running platform to talk to, its admin key, and progress lines
// that stay readable whether stdout is a terminal or a log file.
import { existsSync, readFileSync } from "node:fs";

/** The platform's URL: --url, else SWITCHYARD_URL, else localhost on PORT (as `npm start` uses), else 8787. */
export function platformUrl(flag) {
  return flag ?? process.env.SWITCHYARD_URL ?? `http://localhost:${process.env.PORT ?? "8787"}`;
}

/** The admin key: --key, else SWITCHYARD_KEY, else ADMIN_API_KEY from .dev.vars (written by `npm start`). */
export function adminKey(flag) {
  return (
    flag ??
    process.env.SWITCHYARD_KEY ??
    (existsSync(".dev.vars") ? readFileSync(".dev.vars", "utf8").match(/ADMIN_API_KEY="?([^"\n]+)/)?.[1] : undefined)
  );
}

/**
 * Exits with a plain message (not a stack trace) when nothing answers at `url`: the usual cause is
 * that `npm start` is not running, or runs on another port.
 */
export async function requirePlatform(url) {
  try {
    await fetch(`${url.replace(/\/+$/, "")}/api/v1/health`);
  } catch {
    console.error(`Nothing answers at ${url}. Start the platform with \`npm start\` (or pass --url / set PORT).`);
    process.exit(2);
  }
}

/**
 * A progress line. On a terminal it is rewritten in place (\r); elsewhere (CI logs, pipes) each
 * change is printed on its own line, at most once a second, so the log stays readable.
 */
export function progressLine() {
  const tty = process.stdout.isTTY === true;
  let last = "";
  let printedAt = 0;
  return {
    update(text) {
      if (text === last) return;
      last = text;
      if (tty) {
        process.stdout.write(`\r${text}   `);
      } else if (Date.now() - printedAt >= 1000) {
        printedAt = Date.now();
        process.stdout.write(`${text}\n`);
      }
    },
    /** Ends the line (a terminal) or prints the last value if it was throttled away (a log). */
    end() {
      if (tty) process.stdout.write("\n");
      else if (last !== "") process.stdout.write(`${last}\n`);
    },
  };
}
