// The real omamori host as a child process, spoken to the way a browser does
// (32-bit native-endian length + UTF-8 JSON), as a transport for HostClient.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, endianness } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const VENV_BIN = new URL("../../.venv/bin/", import.meta.url);

/**
 * A program of the Python package: from the repository's .venv when tests/run.sh made one (CI does not put
 * it on PATH), else from PATH (a developer's `pip install -e .`).
 */
export function pythonProgram(name) {
  const inVenv = new URL(name, VENV_BIN);
  return existsSync(inVenv) ? fileURLToPath(inVenv) : name;
}

/** What browsers accept from a host in one frame (Chrome and Firefox: 1 MiB). */
export const BROWSER_MAX_FRAME = 1024 * 1024;

const writeLength = endianness() === "LE" ? "writeUInt32LE" : "writeUInt32BE";
const readLength = endianness() === "LE" ? "readUInt32LE" : "readUInt32BE";

/**
 * @returns {{open: Function, frames: number[], home: string, stopAll: () => void}} open: a HostClient
 *   transport factory that starts `omamori-host` with a fresh OMAMORI_HOME; frames: sizes of every frame read.
 */
export function stdioHost() {
  const home = mkdtempSync(join(tmpdir(), "omamori-ext-test-"));
  const frames = [];
  const children = [];
  const open = ({ onMessage, onClose }) => {
    const child = spawn(pythonProgram("omamori-host"), ["chrome-extension://imdbebpigkcmdgfppgijigpaghgekjco/"], {
      env: { ...process.env, OMAMORI_HOME: home },
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(child);
    let inbox = Buffer.alloc(0);
    let closed = false;
    const close = (code) => {
      if (closed) return;
      closed = true;
      onClose(code);
    };
    child.stdout.on("data", (data) => {
      inbox = Buffer.concat([inbox, data]);
      while (inbox.length >= 4) {
        const length = inbox[readLength](0);
        if (length > BROWSER_MAX_FRAME) {
          // What Chromium does: "Error when communicating with the native messaging host."
          child.kill();
          close("host_disconnected");
          return;
        }
        if (inbox.length < 4 + length) break;
        frames.push(length);
        onMessage(JSON.parse(inbox.subarray(4, 4 + length).toString("utf8")));
        inbox = inbox.subarray(4 + length);
      }
    });
    child.on("exit", () => close("host_disconnected"));
    child.stdin.on("error", () => close("host_disconnected")); // EPIPE: writing to a host that died
    child.on("error", () => close("host_not_installed"));
    return {
      send(message) {
        const body = Buffer.from(JSON.stringify(message), "utf8");
        const header = Buffer.alloc(4);
        header[writeLength](body.length);
        child.stdin.write(Buffer.concat([header, body]));
      },
      close() {
        child.stdin.end();
      },
      kill() {
        child.kill("SIGKILL");
      },
    };
  };
  /** Stop every host started and remove the temporary OMAMORI_HOME. */
  const stopAll = () => {
    children.forEach((child) => child.exitCode === null && child.kill());
    rmSync(home, { recursive: true, force: true });
  };
  return { open, frames, home, stopAll };
}
