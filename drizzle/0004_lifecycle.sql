DROP INDEX "claims_campaign_user_ordinal_uq";--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "coupon_ttl_seconds" integer;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "return_expired" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "code_prefix" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "status" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "redeemed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "order_id" text;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "released_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "unit_returned" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "returned_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "campaigns_code_prefix_idx" ON "campaigns" USING btree ("code_prefix");--> statement-breakpoint
CREATE INDEX "claims_campaign_user_idx" ON "claims" USING btree ("campaign_id","user_id");--> statement-breakpoint
CREATE INDEX "claims_returning_idx" ON "claims" USING btree ("campaign_id") WHERE "claims"."unit_returned" and "claims"."returned_at" is null;--> statement-breakpoint
CREATE INDEX "claims_expiring_idx" ON "claims" USING btree ("campaign_id","expires_at") WHERE "claims"."status" = 'active' and "claims"."expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "claims_campaign_user_ordinal_uq" ON "claims" USING btree ("campaign_id","user_id","ordinal") WHERE not "claims"."unit_returned";--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_coupon_ttl_positive" CHECK ("campaigns"."coupon_ttl_seconds" is null or "campaigns"."coupon_ttl_seconds" > 0);--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_status_known" CHECK ("claims"."status" in ('active', 'redeemed', 'released', 'expired'));--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_redeemed_has_order" CHECK (("claims"."status" = 'redeemed') = ("claims"."order_id" is not null));