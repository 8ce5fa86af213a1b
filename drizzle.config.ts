import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes migrations from src/platform/schema.ts into drizzle/.
// `DATABASE_URL=… npm run db:migrate` applies them (to Neon in production).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/platform/schema.ts",
  out: "./drizzle",
  // Migrations take the direct (unpooled) URL when given: see README, Deploying.
  dbCredentials: { url: process.env.DATABASE_URL_DIRECT ?? process.env.DATABASE_URL ?? "" },
});
