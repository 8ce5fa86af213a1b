CREATE TABLE "auth_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "chat_rooms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"host_id" uuid NOT NULL,
	"access_mode" text DEFAULT 'public' NOT NULL,
	"access_code_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"chat_room_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"participation_id" uuid,
	"user_id" uuid,
	"username" text NOT NULL,
	"username_is_reserved" boolean DEFAULT false NOT NULL,
	"content" text NOT NULL,
	"message_type" text DEFAULT 'normal' NOT NULL,
	"reply_to_id" uuid,
	"is_pinned" boolean DEFAULT false NOT NULL,
	"pinned_until" timestamp with time zone,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"client_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_seq_positive" CHECK ("messages"."seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "participations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chat_room_id" uuid NOT NULL,
	"user_id" uuid,
	"fingerprint" text,
	"username" text NOT NULL,
	"ip_address" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participations_identity_check" CHECK ("participations"."user_id" is not null or "participations"."fingerprint" is not null)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"reserved_username" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "auth_sessions" ADD CONSTRAINT "auth_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_rooms" ADD CONSTRAINT "chat_rooms_host_id_users_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_chat_room_id_chat_rooms_id_fk" FOREIGN KEY ("chat_room_id") REFERENCES "public"."chat_rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_participation_id_participations_id_fk" FOREIGN KEY ("participation_id") REFERENCES "public"."participations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_reply_to_id_messages_id_fk" FOREIGN KEY ("reply_to_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participations" ADD CONSTRAINT "participations_chat_room_id_chat_rooms_id_fk" FOREIGN KEY ("chat_room_id") REFERENCES "public"."chat_rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participations" ADD CONSTRAINT "participations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "auth_sessions_user_idx" ON "auth_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_rooms_code_key" ON "chat_rooms" USING btree ("code");--> statement-breakpoint
CREATE INDEX "chat_rooms_host_idx" ON "chat_rooms" USING btree ("host_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_room_seq_key" ON "messages" USING btree ("chat_room_id","seq");--> statement-breakpoint
CREATE INDEX "messages_room_created_idx" ON "messages" USING btree ("chat_room_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_room_pinned_idx" ON "messages" USING btree ("chat_room_id","is_pinned");--> statement-breakpoint
CREATE UNIQUE INDEX "participations_room_user_key" ON "participations" USING btree ("chat_room_id","user_id") WHERE "participations"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "participations_room_fingerprint_key" ON "participations" USING btree ("chat_room_id","fingerprint") WHERE "participations"."user_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "participations_room_anon_username_ci_key" ON "participations" USING btree ("chat_room_id",lower("username")) WHERE "participations"."user_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "participations_room_user_username_ci_key" ON "participations" USING btree ("chat_room_id",lower("username")) WHERE "participations"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "users_reserved_username_ci_key" ON "users" USING btree (lower("reserved_username"));