ALTER TABLE "users" ALTER COLUMN "reserved_username" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pinned_at" timestamp with time zone;