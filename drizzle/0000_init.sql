CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"total_stock" integer NOT NULL,
	"per_user_limit" integer DEFAULT 1 NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_total_stock_nonnegative" CHECK ("campaigns"."total_stock" >= 0),
	CONSTRAINT "campaigns_per_user_limit_positive" CHECK ("campaigns"."per_user_limit" >= 1),
	CONSTRAINT "campaigns_window_ordered" CHECK ("campaigns"."ends_at" > "campaigns"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"user_id" text NOT NULL,
	"ordinal" integer NOT NULL,
	"coupon_code" text NOT NULL,
	"idempotency_key" text,
	"claimed_at" timestamp (3) with time zone NOT NULL,
	"persisted_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claims_ordinal_positive" CHECK ("claims"."ordinal" >= 1)
);
--> statement-breakpoint
CREATE TABLE "reconciliation_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"campaign_id" text,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"report" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "claims_coupon_code_uq" ON "claims" USING btree ("coupon_code");--> statement-breakpoint
CREATE UNIQUE INDEX "claims_campaign_user_ordinal_uq" ON "claims" USING btree ("campaign_id","user_id","ordinal");--> statement-breakpoint
CREATE INDEX "reconciliation_runs_started_at_idx" ON "reconciliation_runs" USING btree ("started_at");