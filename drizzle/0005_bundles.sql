CREATE TABLE "bundles" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"campaign_ids" text[] NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bundles_size" CHECK (cardinality("bundles"."campaign_ids") between 2 and 100)
);
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "bundle_claim_id" uuid;--> statement-breakpoint
CREATE INDEX "claims_bundle_claim_idx" ON "claims" USING btree ("bundle_claim_id") WHERE "claims"."bundle_claim_id" is not null;