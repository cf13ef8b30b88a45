-- The topics each lead showed genuine interest in (chosen, and scored high enough), as
-- comma-separated slugs: what the builds of other events read, through the data pool, to
-- draw the likely next need across events without reading every package. Empty until the
-- event is built again.
ALTER TABLE leads ADD COLUMN genuine TEXT NOT NULL DEFAULT '';
