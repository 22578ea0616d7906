ALTER TABLE "campaigns" ADD COLUMN "buckets" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "home_bucket" smallint;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "home_seq" bigint;--> statement-breakpoint
ALTER TABLE "stock_adjustments" ADD COLUMN "bucket" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_adjustments" ADD COLUMN "adjustment_id" uuid;--> statement-breakpoint
CREATE INDEX "claims_campaign_home_seq_idx" ON "claims" USING btree ("campaign_id","home_bucket","home_seq") WHERE "claims"."home_bucket" is not null;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_buckets_range" CHECK ("campaigns"."buckets" between 1 and 64);