ALTER TABLE "chat_bans" ADD COLUMN "captured_fingerprints" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_bans" ADD COLUMN "captured_ip_addresses" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_bans" ADD COLUMN "captured_user_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "not_applied_reason" text;