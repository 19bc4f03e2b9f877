import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./sidecar/src/store/schema.ts",
  out: "./sidecar/migrations",
});
