import { ConfigError, loadEnv } from "./config/env.ts";
import { loadPartnersFile } from "./config/partners.ts";
import { createLogger } from "./lib/logger.ts";
import { Sidecar } from "./service.ts";

const USAGE = `usage: odc <command>

commands:
  serve                       run the sidecar (configuration from the environment; see README)
  check-config                validate the environment and the partners file, then exit
  help                        this text
`;

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
  const log = createLogger(env.ODC_LOG_LEVEL);
  const sidecar = new Sidecar({ env, partners, log });
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

const commands: Record<string, Command> = {
  serve: serveCommand,
  "check-config": checkConfigCommand,
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
