import { readFileSync } from "node:fs";
import { ConfigError, loadEnv } from "./config/env.ts";
import { loadPartnersFile } from "./config/partners.ts";
import { createLogger, stdoutDestination } from "./lib/logger.ts";
import * as partnersCli from "./partners/cli.ts";
import { ADMIN_USAGE, adminCommands, runAdminCommand } from "./ops/cli.ts";
import { openSidecar } from "./service.ts";

const USAGE = `usage: odc <command>

commands:
  serve                       run the sidecar (configuration from the environment; see README)
  check-config                validate the environment and the partners file, then exit
  convert <format> <file>     print the canonical JSON of a partner document, or why it is refused
  render <format> <event>     print what would be sent to a partner for a canonical event (JSON file)
  help                        this text

formats: cxml, ubl, easypost, shippo, aftership, shipengine, canonical (convert also takes auto)

${ADMIN_USAGE}`;

type Command = (args: string[]) => Promise<number>;

async function serveCommand(): Promise<number> {
  let env;
  let partners;
  try {
    env = loadEnv(process.env);
    partners = loadPartnersFile(env.ODC_PARTNERS_FILE, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`odc: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(env.ODC_LOG_LEVEL, stdoutDestination(env.ODC_LOG_SYNC));
  const sidecar = await openSidecar({ env, partners, log });
  await sidecar.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  await sidecar.stop();
  return 0;
}

async function checkConfigCommand(): Promise<number> {
  try {
    const env = loadEnv(process.env);
    const partners = loadPartnersFile(env.ODC_PARTNERS_FILE, process.env);
    process.stdout.write(`configuration ok: ${partners.length} partner(s): ${partners.map((p) => p.code).join(", ")}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`odc: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** Runs a pure partners/cli function on a file's bytes and prints its answer. */
function fileCommand(name: string, run: (format: string, bytes: Uint8Array) => { exitCode: number; stdout: string; stderr: string }): Command {
  return async ([format, file, ...extra]) => {
    if (!format || !file || extra.length > 0) {
      process.stderr.write(`usage: odc ${name} <format> <file>\n`);
      return 2;
    }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      process.stderr.write(`odc ${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})\n`);
      return 2;
    }
    const out = run(format, bytes);
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    return out.exitCode;
  };
}

const commands: Record<string, Command> = {
  convert: fileCommand("convert", (format, bytes) => partnersCli.convert(format, bytes)),
  render: fileCommand("render", (format, bytes) => partnersCli.render(format, bytes)),
  serve: serveCommand,
  "check-config": checkConfigCommand,
  ...Object.fromEntries(
    Object.keys(adminCommands).map((name): [string, Command] => [
      name,
      (args) => runAdminCommand(name, args, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, env: process.env }),
    ]),
  ),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`odc: unknown command "${name}"\n${USAGE}`);
    return 1;
  }
  return command(rest);
}
