ALTER TABLE "transactions" ADD COLUMN "refunded_cents" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "disputed_cents" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "dispute_status" text;--> statement-breakpoint
UPDATE "transactions" SET "refunded_cents" = "amount_cents" WHERE "status" = 'refunded';--> statement-breakpoint
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_refund_within_amount" CHECK ("transactions"."refunded_cents" between 0 and "transactions"."amount_cents");