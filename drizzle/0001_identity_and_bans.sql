CREATE TABLE "chat_bans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chat_room_id" uuid NOT NULL,
	"username" text,
	"fingerprint" text,
	"ip_address" text,
	"user_id" uuid,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "chat_bans_target_check" CHECK ("chat_bans"."username" is not null or "chat_bans"."fingerprint" is not null or "chat_bans"."ip_address" is not null or "chat_bans"."user_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "participations" ADD COLUMN "username_is_reserved" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_bans" ADD CONSTRAINT "chat_bans_chat_room_id_chat_rooms_id_fk" FOREIGN KEY ("chat_room_id") REFERENCES "public"."chat_rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_bans" ADD CONSTRAINT "chat_bans_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_bans_room_idx" ON "chat_bans" USING btree ("chat_room_id");