CREATE TABLE "campaign_ledger" (
	"campaign_id" text PRIMARY KEY NOT NULL,
	"total_stock" integer NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "campaign_ledger_sold_within_stock" CHECK ("campaign_ledger"."sold" <= "campaign_ledger"."total_stock"),
	CONSTRAINT "campaign_ledger_sold_nonnegative" CHECK ("campaign_ledger"."sold" >= 0)
);
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "bucket" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "seq" bigint;--> statement-breakpoint
ALTER TABLE "campaign_ledger" ADD CONSTRAINT "campaign_ledger_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "claims_campaign_bucket_seq_uq" ON "claims" USING btree ("campaign_id","bucket","seq");--> statement-breakpoint
INSERT INTO "campaign_ledger" ("campaign_id", "total_stock", "sold")
SELECT c."id", greatest(c."total_stock", count(cl."id"))::int, count(cl."id")::int
FROM "campaigns" c LEFT JOIN "claims" cl ON cl."campaign_id" = c."id"
GROUP BY c."id", c."total_stock";
