-- The data pool: one person across events (by normalised email) and one company (by
-- business email domain, else by normalised company name). Registrations point at both;
-- the application resolves new and existing registrations (`pool::resolve`), since telling
-- a business domain from a free-mail one takes the free-mail domain list.
CREATE TABLE people (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE companies (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'domain:acme.com', 'name:acme' or 'split:<attendee id>'
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    domain       TEXT,
    -- domain, name or manual
    basis        TEXT NOT NULL,
    -- set when staff merged it into another company
    merged_into  BIGINT REFERENCES companies(id),
    note         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

ALTER TABLE attendees ADD COLUMN person_id BIGINT REFERENCES people(id);
ALTER TABLE attendees ADD COLUMN company_id BIGINT REFERENCES companies(id);
CREATE INDEX attendees_person ON attendees (person_id);
CREATE INDEX attendees_company ON attendees (company_id, event_id);
-- What is left to resolve: new registrations, and every registration right after upgrading.
CREATE INDEX attendees_unresolved ON attendees (id) WHERE person_id IS NULL AND erased_at IS NULL;
