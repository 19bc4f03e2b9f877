import { defineConfig } from "drizzle-kit";

// The PostgreSQL store's migrations (ODC_DATABASE_URL); drizzle.config.ts is SQLite's.
export default defineConfig({
  dialect: "postgresql",
  schema: "./sidecar/src/store/pg/schema.ts",
  out: "./sidecar/migrations-pg",
});
