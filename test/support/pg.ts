import { randomBytes } from "node:crypto";
import postgres from "postgres";

/**
 * The real PostgreSQL of the tests: 127.0.0.1:5432, trust authentication, user root or
 * postgres (.ci/run starts it when it is down). Each test file gets a database of its own,
 * created here and dropped after.
 */
const HOST = process.env.ODC_TEST_PG_HOST ?? "127.0.0.1";
const PORT = Number(process.env.ODC_TEST_PG_PORT ?? 5432);
const USERS = process.env.ODC_TEST_PG_USER ? [process.env.ODC_TEST_PG_USER] : ["root", "postgres"];

let reachable: Promise<string | null> | null = null;

/** The user the server lets in, or null (with the reason on stderr once) when it cannot be reached. */
export function pgUser(): Promise<string | null> {
  reachable ??= (async () => {
    const reasons: string[] = [];
    for (const user of USERS) {
      const sql = postgres({ host: HOST, port: PORT, user, database: "postgres", max: 1, connect_timeout: 3, onnotice: () => {} });
      try {
        await sql`SELECT 1`;
        return user;
      } catch (err) {
        reasons.push(`${user}: ${(err as Error).message}`);
      } finally {
        await sql.end({ timeout: 1 }).catch(() => undefined);
      }
    }
    process.stderr.write(`PostgreSQL tests skipped: no server at ${HOST}:${PORT} lets root or postgres in (${reasons.join("; ")}); .ci/run starts it\n`);
    return null;
  })();
  return reachable;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database odc_test_<random>; drop() removes it (closing what is still connected). */
export async function createTestDatabase(): Promise<TestDatabase | null> {
  const user = await pgUser();
  if (!user) return null;
  const name = `odc_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres({ host: HOST, port: PORT, user, database: "postgres", max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  return {
    url: `postgres://${user}@${HOST}:${PORT}/${name}`,
    async drop() {
      const a = postgres({ host: HOST, port: PORT, user, database: "postgres", max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 1 });
      }
    },
  };
}
